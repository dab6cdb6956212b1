/**
 * A deterministic generator of newsroom-like text: claimants with aliases,
 * sources with headlines, and varied English claims built from templates with
 * many slots (topics, places, organisations, numbers written as digits or words,
 * periods, trends). Pure: no database, no I/O. Used by bench/data.ts to load a
 * million claims and by the matching tests for distractor claims.
 *
 * Word frequencies are shaped on purpose: a few words appear in a large share of
 * claims (e.g. "percent" or "year"), and the long tail of generated town names
 * makes words that only a few dozen claims use, so both a common and a rare
 * search can be benchmarked.
 */
import { mulberry32 } from '../test/support/random.js';

/** Seeded randomness for the generator: the same seed gives the same data. */
export function rng(seed: number) {
  const next = mulberry32(seed);
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
    /** Zipf-like: low indexes far more often than high ones. */
    skewed: <T>(items: readonly T[], power = 2): T => items[Math.floor(Math.pow(next(), power) * items.length)],
    chance: (p: number) => next() < p,
  };
}
export type Rng = ReturnType<typeof rng>;

const SYLLABLES_A = ['Ash', 'Bel', 'Brack', 'Cal', 'Dun', 'El', 'Fen', 'Gar', 'Hal', 'Kel', 'Lin', 'Mar', 'Nor', 'Oak', 'Pen', 'Quar', 'Ros', 'Sal', 'Thorn', 'Ul', 'Val', 'Wes', 'Yar', 'Zel', 'Brin', 'Cor', 'Dal', 'Ember', 'Frost', 'Glen', 'Hart', 'Ivy', 'Kin', 'Lor', 'Mill', 'Ned', 'Orm', 'Pry', 'Rav', 'Stan'];
const SYLLABLES_B = ['a', 'e', 'i', 'o', 'u', 'en', 'er', 'in', 'on', 'an', 'ing', 'ley', 'ow', 'ar', 'is'];
const SYLLABLES_C = ['ford', 'haven', 'mouth', 'wick', 'by', 'ton', 'stead', 'dale', 'field', 'bridge', 'port', 'burgh', 'holm', 'moor', 'vik', 'minster', 'combe', 'gate', 'worth', 'borough'];

/** About 24k distinct invented town names: the rare words of the corpus. */
export const TOWNS: string[] = (() => {
  const out: string[] = [];
  for (const a of SYLLABLES_A) for (const b of SYLLABLES_B) for (const c of SYLLABLES_C) out.push(`${a}${b}${c}`);
  // Shuffle deterministically so popular (low-index) towns are spread over the alphabet.
  const r = rng(7);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r.next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
})();

const REGIONS = ['the north', 'the south-east', 'the region', 'the country', 'Europe', 'the coastal districts', 'the capital region', 'the eastern provinces', 'the valley', 'the islands'];

export const FIRST_NAMES = [
  'Ana', 'Anders', 'Åsa', 'Aisha', 'Amir', 'Beatriz', 'Bjørn', 'Carlos', 'Chen', 'Chiara', 'Dagny', 'Daniel', 'Dmitri', 'Elif', 'Elena', 'Emeka',
  'Erik', 'Fatima', 'François', 'Freya', 'Gabriel', 'Greta', 'Hana', 'Hassan', 'Helga', 'Ingrid', 'Ivan', 'Jana', 'Jonas', 'José', 'Jürgen', 'Kari',
  'Karin', 'Kofi', 'Lars', 'Laura', 'Leila', 'Lena', 'Luca', 'Maja', 'Marco', 'María', 'Mateo', 'Mei', 'Mikael', 'Nadia', 'Nils', 'Noor', 'Olga',
  'Omar', 'Pablo', 'Paula', 'Pedro', 'Pyotr', 'Rania', 'Rasmus', 'Rosa', 'Sami', 'Sara', 'Sofia', 'Søren', 'Stefan', 'Tariq', 'Thomas', 'Tomasz',
  'Ulla', 'Vera', 'Viktor', 'Wei', 'Yusuf', 'Zoë', 'Zofia', 'Agnes', 'Benedikt', 'Camille', 'Dario', 'Edith', 'Felix', 'Gunnar', 'Hugo', 'Irene',
  'Jakob', 'Kamal', 'Linnea', 'Magnus', 'Nora', 'Oskar', 'Petra', 'Ravi', 'Signe', 'Tove', 'Ugo', 'Valeria', 'Wilma', 'Xavier', 'Yara', 'Zainab',
];

export const SURNAMES = [
  'Lindqvist', 'Berg', 'Okafor', 'Ekberg', 'Nowak', 'Müller', 'García', 'Rossi', 'Kowalski', 'Andersson', 'Johansson', 'Nilsson', 'Larsen', 'Hansen',
  'Jensen', 'Petersen', 'Virtanen', 'Korhonen', 'Dubois', 'Laurent', 'Moreau', 'Fernández', 'López', 'Martínez', 'Silva', 'Santos', 'Costa',
  'Oliveira', 'Novák', 'Horváth', 'Nagy', 'Popescu', 'Ivanova', 'Petrov', 'Smirnov', 'Kuznetsov', 'Yilmaz', 'Demir', 'Şahin', 'Haddad', 'Khalil',
  'Mansour', 'Adeyemi', 'Mensah', 'Owusu', 'Kamau', 'Otieno', 'Nkosi', 'Dlamini', 'Wang', 'Zhang', 'Liu', 'Tanaka', 'Suzuki', 'Kim', 'Park',
  'Nguyen', 'Tran', 'Singh', 'Sharma', 'Patel', 'Khan', 'Ahmed', 'Hussain', "O'Brien", 'Murphy', 'Walsh', 'Byrne', 'Campbell', 'Stewart',
  'MacLeod', 'Fraser', 'Evans', 'Hughes', 'Price', 'Morgan', 'Fischer', 'Weber', 'Schneider', 'Wagner', 'Becker', 'Hoffmann', 'Schulz', 'Koch',
  'Richter', 'Klein', 'Wolf', 'Neumann', 'Schwarz', 'Zimmermann', 'Krüger', 'Hartmann', 'Lange', 'Werner', 'Krause', 'Meier', 'Lehmann',
  'Bianchi', 'Romano', 'Colombo', 'Ricci', 'Marino', 'Greco', 'Bruno', 'Gallo', 'Conti', 'De Luca', 'Mancini', 'Costa', 'Giordano', 'Rizzo',
  'Lombardi', 'Moretti', 'Jansen', 'de Vries', 'van Dijk', 'Bakker', 'Visser', 'Smit', 'Meijer', 'de Boer', 'Mulder', 'de Groot', 'Bos',
  'Vos', 'Peters', 'Hendriks', 'Dekker', 'Brouwer', 'Strand', 'Holm', 'Dahl', 'Lund', 'Sund', 'Forsberg', 'Sandberg', 'Lindberg', 'Lindgren',
  'Engström', 'Bergström', 'Söderström', 'Håkansson', 'Sjöberg', 'Wallin', 'Eklund', 'Isaksson', 'Sundberg', 'Lindholm', 'Nyström',
  'Tchaikovsky', 'Dostoevsky', 'Sokolov', 'Lebedev', 'Kozlov', 'Novikov', 'Morozov', 'Volkov', 'Solovyov', 'Vasiliev', 'Zaitsev', 'Pavlov',
  'Semenov', 'Golubev', 'Vinogradov', 'Bogdanov', 'Vorobyov', 'Fedorov', 'Mikhailov', 'Belyaev', 'Tarasov', 'Belov', 'Komarov', 'Orlov',
  'Kiselev', 'Makarov', 'Andreev', 'Kovalev', 'Ilyin', 'Gusev', 'Titov', 'Kuzmin', 'Kudryavtsev', 'Baranov', 'Kulikov', 'Alekseev', 'Stepanov',
  'Yakovlev', 'Sorokin', 'Sergeev', 'Romanov', 'Zakharov', 'Borisov', 'Korolev', 'Gerasimov', 'Ponomarev', 'Grigoriev', 'Lazarev', 'Medvedev',
  'Ershov', 'Nikitin', 'Sobolev', 'Ryabov', 'Polyakov', 'Tsvetkov', 'Danilov', 'Zhukov', 'Frolov', 'Zhuravlev', 'Nikolaev', 'Krylov', 'Maksimov',
  'Sidorov', 'Osipov', 'Belousov', 'Fedotov', 'Dorofeev', 'Egorov', 'Matveev', 'Bobrov', 'Dmitriev', 'Kalinin', 'Anisimov', 'Petukhov',
  'Antonov', 'Timofeev', 'Nikiforov', 'Veselov', 'Filippov', 'Markov', 'Bolshakov', 'Sukhanov', 'Mironov', 'Shiryaev', 'Aleksandrov', 'Konovalov',
  'Shestakov', 'Kazakov', 'Efimov', 'Denisov', 'Gromov', 'Fomin', 'Davydov', 'Melnikov', 'Shcherbakov', 'Blinov', 'Kolesnikov', 'Karpov',
  'Afanasiev', 'Vlasov', 'Maslov', 'Isakov', 'Tikhonov', 'Aksenov', 'Gavrilov', 'Rodionov', 'Kotov', 'Gorbunov', 'Kudryashov', 'Bykov', 'Zuev',
  'Tretyakov', 'Savelyev', 'Panov', 'Rybakov', 'Suvorov', 'Abramov', 'Voronov', 'Mukhin', 'Arkhipov', 'Trofimov', 'Martynov', 'Emelyanov',
  'Gorshkov', 'Chernov', 'Ovchinnikov', 'Seleznev', 'Panfilov', 'Kopylov', 'Mikheev', 'Galkin', 'Nazarov', 'Lobanov', 'Lukin', 'Belyakov',
  'Potapov', 'Nekrasov', 'Khokhlov', 'Zhdanov', 'Naumov', 'Shilov', 'Vorontsov', 'Ermakov', 'Drozdov', 'Ignatiev', 'Savin', 'Loginov',
];

const ROLES = ['Mayor', 'Minister', 'Councillor', 'Senator', 'Dr', 'Professor', 'Governor', 'Commissioner', 'Chief Executive', 'Spokesperson'];
const ORG_KINDS = ['City Council', 'Port Authority', 'Health Board', 'Chamber of Commerce', 'Teachers’ Union', 'Transport Agency', 'Water Company', 'Police Department', 'Housing Association', 'Statistics Office'];
const PUBLISHER_WORDS = ['Gazette', 'Herald', 'Courier', 'Post', 'Observer', 'Tribune', 'Chronicle', 'Times', 'Journal', 'Examiner', 'Sentinel', 'Mirror', 'Record', 'Standard', 'Advertiser'];

export const TOPICS = {
  economy: {
    things: ['unemployment', 'inflation', 'average wages', 'exports', 'the budget deficit', 'public debt', 'youth unemployment', 'food prices', 'energy bills', 'rents', 'house prices', 'business closures', 'tax revenue', 'the minimum wage', 'pension payments'],
    projects: ['the new business park', 'the tax reform', 'the regional investment fund', 'the small business grant scheme', 'the tourism campaign'],
    groups: ['small businesses', 'young workers', 'pensioners', 'families with children', 'self-employed workers', 'farmers'],
  },
  health: {
    things: ['waiting lists', 'hospital admissions', 'vaccination rates', 'ambulance response times', 'the number of nurses', 'obesity rates', 'smoking rates', 'drug deaths', 'maternity beds', 'GP appointments', 'emergency waiting times', 'mental health referrals'],
    projects: ['the new children’s hospital', 'the cancer screening programme', 'the mental health strategy', 'the rural clinic network', 'the hospital extension'],
    groups: ['nurses', 'junior doctors', 'care home residents', 'patients over 75', 'pregnant women', 'children under five'],
  },
  environment: {
    things: ['carbon emissions', 'air pollution', 'recycling rates', 'river pollution', 'plastic waste', 'tree cover', 'flood damage', 'water leaks', 'energy use', 'solar capacity', 'wind power output', 'sewage spills'],
    projects: ['the offshore wind farm', 'the flood barrier', 'the tree planting scheme', 'the low emission zone', 'the district heating network'],
    groups: ['households', 'farmers', 'fishermen', 'coastal residents', 'drivers', 'commuters'],
  },
  transport: {
    things: ['bus fares', 'train delays', 'road deaths', 'cycling journeys', 'traffic congestion', 'potholes', 'parking fines', 'rail passenger numbers', 'ferry cancellations', 'electric car sales', 'fuel prices', 'airport passenger numbers'],
    projects: ['the harbour tunnel', 'the tram extension', 'the ring road', 'the high-speed rail line', 'the new bridge', 'the airport expansion', 'the cycle highway'],
    groups: ['commuters', 'cyclists', 'bus drivers', 'rail passengers', 'lorry drivers', 'pedestrians'],
  },
  crime: {
    things: ['burglaries', 'knife crime', 'car thefts', 'violent crime', 'shoplifting', 'fraud cases', 'police numbers', 'prison overcrowding', 'reported assaults', 'cybercrime', 'youth offending', 'court backlogs'],
    projects: ['the community policing plan', 'the new prison', 'the street lighting programme', 'the CCTV network', 'the youth diversion scheme'],
    groups: ['police officers', 'prisoners', 'victims of crime', 'young offenders', 'shop owners', 'prison staff'],
  },
  education: {
    things: ['class sizes', 'exam results', 'teacher shortages', 'school funding', 'university fees', 'truancy', 'school meals', 'reading scores', 'apprenticeships', 'student debt', 'nursery places', 'school exclusions'],
    projects: ['the school building programme', 'the free school meals plan', 'the teacher training bonus', 'the new university campus', 'the literacy programme'],
    groups: ['teachers', 'pupils', 'students', 'parents', 'head teachers', 'school leavers'],
  },
  housing: {
    things: ['homelessness', 'social housing waiting lists', 'empty homes', 'new housing starts', 'evictions', 'rough sleeping', 'mortgage rates', 'housing benefit claims', 'council house sales', 'overcrowding'],
    projects: ['the affordable housing plan', 'the waterfront development', 'the estate regeneration', 'the rent cap', 'the new town'],
    groups: ['renters', 'first-time buyers', 'homeless families', 'landlords', 'council tenants', 'students'],
  },
  energy: {
    things: ['electricity prices', 'gas imports', 'power cuts', 'heat pump installations', 'nuclear output', 'coal use', 'energy poverty', 'grid connections', 'oil production', 'battery storage'],
    projects: ['the nuclear plant', 'the hydrogen hub', 'the solar park', 'the grid upgrade', 'the insulation scheme'],
    groups: ['households', 'energy companies', 'pensioners', 'factories', 'bakeries', 'hospitals'],
  },
  immigration: {
    things: ['net migration', 'asylum applications', 'work visas', 'deportations', 'border crossings', 'refugee arrivals', 'citizenship applications', 'seasonal worker permits'],
    projects: ['the new visa system', 'the integration programme', 'the border agreement', 'the language course scheme'],
    groups: ['asylum seekers', 'migrant workers', 'foreign students', 'refugees', 'seasonal workers', 'care workers'],
  },
} as const;
export type Topic = keyof typeof TOPICS;
export const TOPIC_NAMES = Object.keys(TOPICS) as Topic[];

const TRENDS_UP = ['rose', 'increased', 'went up', 'climbed', 'grew', 'jumped'];
const TRENDS_DOWN = ['fell', 'dropped', 'decreased', 'went down', 'declined', 'shrank'];
const SINCE = ['since 2010', 'since 2015', 'since 2019', 'since the pandemic', 'since the last election', 'in the past decade', 'over the last five years', 'in the last year', 'since 2020', 'in just two years'];
const BY_WHEN = ['by 2030', 'by 2028', 'within five years', 'over ten years', 'by the end of the decade', 'next year', 'within three years', 'by 2035'];
const ORGS = ['the government', 'the city council', 'the regional authority', 'the health ministry', 'the opposition', 'the transport agency', 'the port authority', 'the central bank', 'the finance ministry', 'the education department', 'the mayor’s office', 'the statistics office'];
const CURRENCIES = ['euros', 'dollars', 'pounds', 'kronor'];

const SMALL_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS_WORDS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** 0 ≤ n < 1000 in English words: 240 → "two hundred forty". */
export function numberToWords(n: number): string {
  if (n < 20) return SMALL_WORDS[n];
  if (n < 100) return TENS_WORDS[Math.floor(n / 10)] + (n % 10 ? `-${SMALL_WORDS[n % 10]}` : '');
  const rest = n % 100;
  return `${SMALL_WORDS[Math.floor(n / 100)]} hundred${rest ? ` ${numberToWords(rest)}` : ''}`;
}

const withCommas = (n: number) => n.toLocaleString('en-US');

export class Corpus {
  readonly r: Rng;
  constructor(seed = 1) {
    this.r = rng(seed);
  }

  town(): string {
    // Skewed: a few hundred towns are common, the long tail is rare.
    return this.r.skewed(TOWNS, 2.2);
  }

  percent(): string {
    const n = this.r.int(2, 95);
    const form = this.r.next();
    if (form < 0.45) return `${n} percent`;
    if (form < 0.75) return `${n}%`;
    if (form < 0.9) return `${n} per cent`;
    return `${numberToWords(n)} percent`;
  }

  money(): string {
    const currency = this.r.pick(CURRENCIES);
    const form = this.r.next();
    if (form < 0.4) return `${this.r.int(1, 9)}.${this.r.int(1, 9)} billion ${currency}`;
    if (form < 0.75) return `${this.r.int(2, 900)} million ${currency}`;
    if (form < 0.9) return `${withCommas(this.r.int(10, 900) * 1000)} ${currency}`;
    return `${numberToWords(this.r.int(2, 99))} million ${currency}`;
  }

  count(noun: string): string {
    const form = this.r.next();
    if (form < 0.5) return `${withCommas(this.r.int(2, 60) * 100)} ${noun}`;
    if (form < 0.75) return `${this.r.int(11, 999)} ${noun}`;
    if (form < 0.9) return `${numberToWords(this.r.int(2, 999))} ${noun}`;
    return `${numberToWords(this.r.int(2, 99))} thousand ${noun}`;
  }

  years(): string {
    const n = this.r.int(2, 15);
    return this.r.chance(0.5) ? `${n} years` : `${numberToWords(n)} years`;
  }

  person(): { name: string; surname: string; first: string } {
    const first = this.r.pick(FIRST_NAMES);
    const surname = this.r.skewed(SURNAMES, 1.5);
    return { name: `${first} ${surname}`, surname, first };
  }

  /** One checkable claim in neutral wording, with its topic. */
  claim(): { text: string; topic: Topic } {
    const r = this.r;
    const topic = r.pick(TOPIC_NAMES);
    const t = TOPICS[topic];
    const thing = r.pick(t.things);
    const project = r.pick(t.projects);
    const group = r.pick(t.groups);
    const town = this.town();
    const org = r.pick(ORGS);
    const up = r.chance(0.5);
    const trend = r.pick(up ? TRENDS_UP : TRENDS_DOWN);
    const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
    const templates: (() => string)[] = [
      () => `${cap(thing)} in ${town} ${trend} by ${this.percent()} ${r.pick(SINCE)}.`,
      () => `${cap(org)} will spend ${this.money()} on ${project} ${r.pick(BY_WHEN)}.`,
      () => `${cap(project)} will create ${this.count('jobs')} ${r.pick(BY_WHEN)}.`,
      () => `${cap(project)} will cost ${this.money()}, ${r.pick(['not', 'far more than', 'less than', 'twice'])} what was promised.`,
      () => `${cap(town)} has the ${r.pick(['highest', 'lowest'])} ${thing.replace(/^the /, '')} in ${r.pick(REGIONS)}.`,
      () => `${this.percent()} of ${group} in ${town} ${r.pick(['cannot afford', 'support', 'oppose', 'were affected by', 'depend on'])} ${r.pick([thing, project])}.`.replace(/^./, (c) => c.toUpperCase()),
      () => `The number of ${group} in ${town} has ${r.pick(['doubled', 'halved', 'tripled', 'fallen', 'risen'])} ${r.pick(SINCE)}.`,
      () => `${cap(org)} cut funding for ${project} by ${this.money()} last year.`,
      () => `More than ${this.count(group)} ${r.pick(['left', 'moved to', 'protested in', 'were counted in', 'signed up in'])} ${town} ${r.pick(SINCE)}.`,
      () => `${cap(project)} is ${this.years()} behind schedule and ${this.money()} over budget.`,
      () => `${cap(thing)} ${trend} faster in ${town} than anywhere else in ${r.pick(REGIONS)} ${r.pick(SINCE)}.`,
      () => `${cap(org)} has ${r.pick(['never', 'repeatedly', 'quietly', 'already'])} ${r.pick(['approved', 'blocked', 'cancelled', 'delayed', 'funded'])} ${project}.`,
      () => `Every year ${town} ${r.pick(['loses', 'spends', 'receives', 'wastes'])} ${this.money()} ${r.pick(['on', 'because of', 'through'])} ${thing}.`,
      () => `${cap(thing)} ${r.pick(['are', 'is'])} at ${r.pick(['a record high', 'a record low', 'its highest level', 'its lowest level'])} ${r.pick(['in ' + town, 'in ' + r.pick(REGIONS), 'nationally'])} ${r.pick(['for 40 years', 'for a decade', 'since records began', 'since 1990'])}.`,
      () => `${cap(group)} in ${town} ${r.pick(['wait', 'pay', 'earn', 'travel'])} ${this.percent()} ${r.pick(['more', 'less', 'longer'])} than the national average.`,
      () => `${cap(project)} will ${r.pick(['cut', 'double', 'halve', 'reduce'])} ${thing} in ${town} ${r.pick(BY_WHEN)}.`,
      () => `${cap(org)} promised ${this.count(group.replace(/s$/, '') + ' places')} but delivered only ${this.r.int(5, 900)}.`,
      () => `Only ${this.r.int(2, 40)} of the ${this.r.int(41, 400)} ${r.pick(['promised', 'planned', 'announced'])} ${r.pick(['homes', 'schools', 'clinics', 'bus routes', 'stations'])} in ${town} have been built.`,
      () => `${cap(thing)} cost ${town} ${this.money()} in ${r.int(2012, 2026)}, ${r.pick(['up', 'down'])} from ${this.money()} the year before.`,
      () => `One in ${r.int(3, 12)} ${group.replace(/s$/, '')}${group.endsWith('s') ? 's' : ''} in ${town} ${r.pick(['lives in poverty', 'has no access to a doctor', 'works a second job', 'cannot find housing', 'commutes over an hour'])}.`,
    ];
    return { text: r.pick(templates)(), topic };
  }

  /** A headline for a source. */
  headline(): string {
    const r = this.r;
    const topic = r.pick(TOPIC_NAMES);
    const t = TOPICS[topic];
    const town = this.town();
    const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
    return r.pick([
      () => `${cap(r.pick(t.projects))} ${r.pick(['approved', 'delayed', 'under fire', 'over budget', 'back on track'])} in ${town}`,
      () => `${cap(r.pick(t.things))} ${r.pick(TRENDS_UP.concat(TRENDS_DOWN))} in ${town}, figures show`,
      () => `${cap(r.pick(ORGS))} ${r.pick(['defends', 'scraps', 'doubles down on', 'reviews'])} ${r.pick(t.projects)}`,
      () => `What ${town} voters need to know about ${r.pick(t.things)}`,
      () => `Fact check: ${r.pick(t.things)} in ${town}`,
    ])();
  }

  publisher(): string {
    return `The ${this.r.skewed(TOWNS.slice(0, 400), 1.5)} ${this.r.pick(PUBLISHER_WORDS)}`;
  }

  /** A claimant: a person with title/initial aliases, or an organisation with an acronym. */
  claimant(): { name: string; kind: 'person' | 'organization' | 'government'; aliases: string[] } {
    const r = this.r;
    if (r.chance(0.8)) {
      const p = this.person();
      const aliases: string[] = [];
      if (r.chance(0.6)) aliases.push(`${r.pick(ROLES)} ${p.surname}`);
      if (r.chance(0.5)) aliases.push(`${p.first.charAt(0)}. ${p.surname}`);
      return { name: p.name, kind: 'person', aliases };
    }
    const town = this.town();
    const orgKind = r.pick(ORG_KINDS);
    const name = `${town} ${orgKind}`;
    const acronym = name
      .split(/\s+/)
      .filter((w) => /^[A-Z]/.test(w))
      .map((w) => w[0])
      .join('');
    return { name, kind: orgKind.includes('Council') || orgKind.includes('Office') ? 'government' : 'organization', aliases: [`the ${orgKind}`, acronym] };
  }

  /** A quote an attribution could carry: the claim in a speaker's words. */
  quote(claimText: string): string {
    const r = this.r;
    const body = claimText.replace(/\.$/, '');
    return r.pick([
      () => `${body}, and that is a fact`,
      () => `Let me be clear: ${body.charAt(0).toLowerCase()}${body.slice(1)}`,
      () => `${body}`,
      () => `The truth is that ${body.charAt(0).toLowerCase()}${body.slice(1)}`,
      () => `${body}. Nobody can deny it`,
    ])();
  }
}
