import t from 'tap';
import { extractClaims, isLanguageModelLoaded, loadLanguageModel, selectorAt, type CandidateClaim } from '../../src/domain/extract/index.js';
import { findQuantities } from '../../src/domain/extract/quantities.js';

/** The candidates of a text as compact [speaker, kind, quote] triples. */
const pairs = (text: string) => extractClaims(text).candidates.map((c) => [c.speaker, c.kind, c.quote]);
const only = (text: string): CandidateClaim => {
  const { candidates } = extractClaims(text);
  if (candidates.length !== 1) throw new Error(`expected one candidate, got ${JSON.stringify(candidates.map((c) => [c.speaker, c.quote]))}`);
  return candidates[0] as CandidateClaim;
};

t.test('the language model loads once, on first use', async (t) => {
  loadLanguageModel();
  t.ok(isLanguageModelLoaded());
  t.equal(loadLanguageModel(), loadLanguageModel(), 'the same instance every time');
});

t.test('direct quote, speaker after: title + name + verb, and verb + name + role', async (t) => {
  const c = only('“The harbour tunnel will cost 2.4 billion euros,” Mayor Ana Lindqvist said after the vote.');
  t.match(c, { speaker: 'Ana Lindqvist', speaker_role: 'Mayor', speaker_type: 'person', kind: 'direct_quote', stance: 'asserts', cue: 'said' });
  t.equal(c.quote, 'The harbour tunnel will cost 2.4 billion euros');
  t.equal(c.claim_text, 'The harbour tunnel will cost 2.4 billion euros.');
  const d = only('"The wall did exactly what it was designed to do," said Marta Ruiz, the city\'s head of emergency planning.');
  t.match(d, { speaker: 'Marta Ruiz', speaker_role: "city's head of emergency planning", cue: 'said' });
  const e = only('"Nobody came to warn us," said Lukas Brenner, 67, who was rescued from his house by boat.');
  t.equal(e.speaker, 'Lukas Brenner');
});

t.test('direct quote, speaker before: with a colon, with a comma, after "told reporters"', async (t) => {
  t.same(pairs('But Senator Ellen Marsh, a frequent critic of the bank, said: "Families are paying more for groceries."'), [
    ['Ellen Marsh', 'direct_quote', 'Families are paying more for groceries.'],
  ]);
  t.same(pairs('General secretary Fiona Grant said, "Our pilots are not asking for the moon."'), [['Fiona Grant', 'direct_quote', 'Our pilots are not asking for the moon.']]);
  t.same(pairs('The minister Karin Olsen told reporters: “We will hire 3,000 nurses.”'), [['Karin Olsen', 'direct_quote', 'We will hire 3,000 nurses.']]);
});

t.test('a quote split around its attribution is one candidate with two parts', async (t) => {
  const text = 'Lindqvist rejected that. “The previous projects were planned by another administration,” she said, “and they had no fixed-price contracts.”';
  const c = only(`Mayor Ana Lindqvist spoke last. ${text}`);
  t.equal(c.speaker, 'Ana Lindqvist');
  t.equal(c.claim_text, 'The previous projects were planned by another administration, and they had no fixed-price contracts.');
  t.equal(c.quote_parts?.length, 2);
  t.equal(c.quote_parts?.[0]?.exact, 'The previous projects were planned by another administration');
  t.equal(c.quote_parts?.[1]?.exact, 'and they had no fixed-price contracts.');
  t.ok(c.quote.includes('she said'), 'the quote spans both parts, so it anchors as one selector');
});

t.test('a quote that runs over paragraphs, and a quote after an attributed one, keep the speaker', async (t) => {
  const text =
    '“This is a turning point,” said Erik Lund, Nordvind’s chief executive. “For the first time, one project will produce more power than a nuclear plant.\n\n' +
    '“And it will do so without a single tonne of carbon dioxide.”\n\n' +
    'Traffic was light on Sunday.\n\n' +
    '“Nobody has answered that question.”';
  const found = pairs(text);
  t.same(found.slice(0, 3), [
    ['Erik Lund', 'direct_quote', 'This is a turning point'],
    ['Erik Lund', 'direct_quote', 'For the first time, one project will produce more power than a nuclear plant.'],
    ['Erik Lund', 'direct_quote', 'And it will do so without a single tonne of carbon dioxide.'],
  ]);
  t.equal(found.length, 3, 'a quote after an unrelated paragraph is not given to the last speaker');
});

t.test('reported speech: "reported that", a bare clause, and the speaker after the clause', async (t) => {
  t.same(pairs('The National Weather Agency reported that 140 millimetres of rain fell in 48 hours.'), [
    ['National Weather Agency', 'reported', '140 millimetres of rain fell in 48 hours'],
  ]);
  const stance = only('The National Weather Agency reported that 140 millimetres of rain fell in 48 hours.').stance;
  t.equal(stance, 'reports');
  t.same(pairs('The Port Authority said the project would create 12,000 jobs over ten years.'), [
    ['Port Authority', 'reported', 'the project would create 12,000 jobs over ten years'],
  ]);
  t.same(pairs('Average waiting times fell by 18 percent last year, the health ministry reported on Monday.'), [
    ['health ministry', 'reported', 'Average waiting times fell by 18 percent last year'],
  ]);
  t.same(pairs('Scores can vary by as much as five points, said Ingrid Dahl, a statistician at the University of Lund.'), [
    ['Ingrid Dahl', 'reported', 'Scores can vary by as much as five points'],
  ]);
  t.same(pairs('City officials noted, however, that a 300-metre section had been overtopped.'), [['City officials', 'reported', 'a 300-metre section had been overtopped']]);
});

t.test('two reporting verbs in one sentence give two claims with the same speaker', async (t) => {
  t.same(pairs('The Association of Surgical Nurses warned that the gains came at the cost of burnout and said a third of its members were leaving.'), [
    ['Association of Surgical Nurses', 'reported', 'the gains came at the cost of burnout'],
    ['Association of Surgical Nurses', 'reported', 'a third of its members were leaving'],
  ]);
  t.same(pairs('“That is nonsense,” Victor Hale said, adding that he spoke to the owner every week.').map((p) => p[0]), ['Victor Hale', 'Victor Hale']);
});

t.test('"according to", in front or at the end, names the organisation behind a study', async (t) => {
  t.same(pairs('According to the regional fire service, about 1,800 homes were flooded.'), [['regional fire service', 'reported', 'about 1,800 homes were flooded']]);
  t.same(pairs('Insurers estimate the damage at 75 million euros, according to the Riverton Chamber of Commerce.'), [
    ['Riverton Chamber of Commerce', 'reported', 'Insurers estimate the damage at 75 million euros'],
  ]);
  t.same(pairs('Reading scores have fallen to their lowest level since 2003, according to a study published on Tuesday by the Nordic Institute for Education Research.'), [
    ['Nordic Institute for Education Research', 'reported', 'Reading scores have fallen to their lowest level since 2003'],
  ]);
  t.equal(only('According to the agency, 90% of homes lost power.').cue, 'according to');
});

t.test('anonymous and group speakers are kept as written, and "one of them" refers back', async (t) => {
  const text =
    'Two people familiar with the investigation said the attackers had used stolen credentials. One of them said the account had no second factor. ' +
    'A senior official, who spoke on condition of anonymity, said the target would be missed. Sources said the talks had collapsed. City officials said the defences held.';
  const found = extractClaims(text).candidates.map((c) => [c.speaker, c.speaker_type]);
  t.same(found, [
    ['Two people familiar with the investigation', 'anonymous'],
    ['one of Two people familiar with the investigation', 'anonymous'],
    ['A senior official', 'anonymous'],
    ['Sources', 'anonymous'],
    ['City officials', 'group'],
  ]);
});

t.test('pronouns, surnames and titles resolve to the last named person they fit', async (t) => {
  const text =
    'Health Minister Karin Olsen visited the hospital on Monday. "We have cut waiting times by a fifth," she told staff.\n\n' +
    'Opposition spokesman Tom Reyes questioned the figures. He said the decline would not last.\n\n' +
    'Asked about the nurses, the minister said: "We are recruiting."\n\n' +
    'Olsen denied that the figures had been flattered.';
  const found = extractClaims(text).candidates;
  t.same(found.map((c) => [c.speaker, c.speaker_mention.text]), [
    ['Karin Olsen', 'she'],
    ['Tom Reyes', 'He'],
    ['Karin Olsen', 'the minister'],
    ['Karin Olsen', 'Olsen'],
  ]);
  t.equal(found[3]?.stance, 'denies');
  t.equal(found[0]?.speaker_role, 'Health Minister');
});

t.test('"she" skips a man named in between once her gender is known', async (t) => {
  const text =
    '“We will win,” Ms Anna Berg said. Berg spoke after Jonas Holm. “The money is there,” she said.';
  t.same(extractClaims(text).candidates.map((c) => c.speaker), ['Anna Berg', 'Anna Berg']);
});

t.test('speakers introduced by their role: before the name, or in an appositive', async (t) => {
  t.match(only('Ministry spokesperson Jane Doe said the improvement was broad-based across the country.'), { speaker: 'Jane Doe', speaker_role: 'Ministry spokesperson' });
  t.match(only('A spokeswoman for the energy ministry, Lena Falk, said the developer would pay 15 million kronor a year.'), {
    speaker: 'Lena Falk',
    speaker_role: 'spokeswoman for the energy ministry',
  });
  t.match(only('The pilots’ union, BALPA North, says its members have seen their pay fall by 15 percent.'), { speaker: 'BALPA North', speaker_type: 'organization' });
  t.match(only('Developer Nordvind said the 80 turbines would supply 900,000 homes.'), { speaker: 'Nordvind', speaker_role: 'Developer', speaker_type: 'organization' });
});

t.test('characterisations: "called … “…”" and "described … as …" are paraphrases', async (t) => {
  const called = only('Opposition councillor Jonas Berg called the estimate “wishful thinking”.');
  t.match(called, { speaker: 'Jonas Berg', kind: 'paraphrase', cue: 'called', quote: 'wishful thinking', claim_text: 'The estimate is wishful thinking.' });
  const described = only('Education Minister Sofia Berg described the findings as "deeply worrying".');
  t.match(described, { speaker: 'Sofia Berg', kind: 'paraphrase', cue: 'described … as', quote: 'deeply worrying', claim_text: 'The findings are deeply worrying.' });
});

t.test('"accused … of …" is a paraphrase; a place at the end of a nominal is not the speaker', async (t) => {
  t.match(only('Opposition leader Rachel Grant accused the administration of "cultural vandalism".'), {
    speaker: 'Rachel Grant',
    kind: 'paraphrase',
    cue: 'accused … of',
    quote: 'cultural vandalism',
    claim_text: 'The administration is accused of cultural vandalism.',
  });
  t.match(only('Teenagers sleep 62 minutes less, according to a study of 9,500 pupils in Norway.'), {
    speaker: 'a study of 9,500 pupils in Norway',
    speaker_type: 'organization',
  });
});

t.test('stance: denials and questions', async (t) => {
  t.match(only('Lena Falk rejected claims that the assessment had been rushed.'), { stance: 'denies', cue: 'rejected claims', quote: 'the assessment had been rushed' });
  t.match(only('Okafor dismissed suggestions that the bank had kept rates too high.'), { stance: 'denies', quote: 'the bank had kept rates too high' });
  t.match(only('Some analysts questioned whether the pause would last into the new year.'), { stance: 'questions', speaker: 'Some analysts', quote: 'the pause would last into the new year' });
  t.match(only('“Who is going to compensate us?” asked Ola Nygaard, chairman of the fishermen’s association.'), { stance: 'questions', cue: 'asked', speaker: 'Ola Nygaard' });
});

t.test('headlines, bylines and scene-setting give no candidates', async (t) => {
  const text =
    'Council approves harbour tunnel, mayor says\n\nBy Maria Svensson\n\n' +
    'The city council voted 31 to 14 on Tuesday. Around 200 residents packed the gallery; some carried banners. Construction is expected to take six years.';
  t.same(extractClaims(text).candidates, []);
  t.same(extractClaims('The ministry declined to comment. Lindqvist rejected that criticism. The union disputes that.').candidates, [], 'no claim without content');
  t.same(extractClaims('').candidates, []);
});

t.test('quotes inside the writer’s sentence are not direct quotes of their own', async (t) => {
  const c = only('Ministry spokesperson Jane Doe said the improvement was "broad-based" and not limited to large hospitals.');
  t.match(c, { kind: 'reported', quote: 'the improvement was "broad-based" and not limited to large hospitals' });
  t.same(extractClaims('The film “Blue Harbour” opened on Friday to good reviews.').candidates, []);
});

t.test('every selector is exact, and points at its own occurrence when words repeat', async (t) => {
  const text = '“Prices will fall,” said Ana Lindqvist. Later, Jonas Berg said: “Prices will fall.”';
  const { candidates } = extractClaims(text);
  t.equal(candidates.length, 2);
  for (const c of candidates) {
    t.equal(c.selector.exact, text.slice(c.selector.start, c.selector.end));
    t.equal(c.selector.exact, c.quote);
  }
  t.not(candidates[0]?.selector.start, candidates[1]?.selector.start, 'the second repeats the first but is anchored where it is');
  t.equal(candidates[1]?.selector.prefix, text.slice((candidates[1]?.selector.start ?? 0) - 32, candidates[1]?.selector.start));
  const emoji = 'x'.repeat(40) + '😀 said';
  const sel = selectorAt(emoji, 42, 47);
  t.equal(sel.exact, ' said');
});

t.test('quantities: money, percentages, counts, fractions, ratios; years and dates are not quantities', async (t) => {
  const q = (s: string) => findQuantities(s).map((x) => [x.text, x.value, x.unit]);
  t.same(q('The tunnel will cost 2.4 billion euros.'), [['2.4 billion euros', 2.4e9, 'EUR']]);
  t.same(q('Some 90% of homes and 41,000 more operations.'), [
    ['90%', 90, 'percent'],
    ['41,000 more operations', 41000, 'operations'],
  ]);
  t.same(q('It will create 12,000 homes over ten years.'), [
    ['12,000 homes', 12000, 'homes'],
    ['ten years', 10, 'years'],
  ]);
  t.same(q('Two-thirds of the money, a third of members and nearly half of pupils.'), [
    ['Two-thirds', 0.666667, 'fraction'],
    ['a third', 0.333333, 'fraction'],
    ['half', 0.5, 'fraction'],
  ]);
  t.same(q('Fewer than one in five cars; more than twice the average; €3m; $1.5bn; 15 per cent; 2 percentage points.'), [
    ['one in five', 0.2, 'ratio'],
    ['twice', 2, 'times'],
    ['€3m', 3e6, 'EUR'],
    ['$1.5bn', 1.5e9, 'USD'],
    ['15 per cent', 15, 'percent'],
    ['2 percentage points', 2, 'percentage points'],
  ]);
  t.same(q('In 2024, on March 2, the 3rd time, Covid-19 and two-factor logins.'), [], 'no years, days, ordinals, codes or compounds');
  t.same(q('a 300-metre section and a 1.2-gigawatt farm'), [
    ['300-metre', 300, 'metre'],
    ['1.2-gigawatt', 1.2, 'gigawatt'],
  ]);
});

t.test('check-worthiness: numbers and comparisons score high, opinions and questions low, with reasons', async (t) => {
  const text =
    '“Burglaries fell by 22 percent, the biggest drop since 1990,” said Rachel Osei. “We are proud,” she said. “Who will pay?” she asked.';
  const [numbers, opinion, question] = extractClaims(text).candidates;
  t.ok((numbers?.checkworthiness ?? 0) >= 0.8, `numbers: ${numbers?.checkworthiness}`);
  t.same(numbers?.reasons.map((r) => r.code), ['quantity', 'comparison', 'superlative', 'date']);
  t.ok((opinion?.checkworthiness ?? 1) < 0.3, `opinion: ${opinion?.checkworthiness}`);
  t.ok(opinion?.reasons.some((r) => r.code === 'opinion'));
  t.ok((question?.checkworthiness ?? 1) < 0.2, `question: ${question?.checkworthiness}`);
  t.equal(question?.stance, 'questions');
  const kept = extractClaims(text, { minCheckworthiness: 0.5 }).candidates;
  t.same(kept.map((c) => c.quote), [numbers?.quote]);
});

t.test('a statement introduced at the end of one paragraph and quoted in the next', async (t) => {
  const text = 'In a statement, the Transit Workers Union said:\n\n"Our members have been punched and threatened. Management has done nothing."';
  t.same(pairs(text), [['Transit Workers Union', 'direct_quote', 'Our members have been punched and threatened. Management has done nothing.']]);
});

t.test('"“…,” according to X" attributes the quote to X', async (t) => {
  t.match(only('“No resource will be spared,” according to a statement from the governor’s office.'), {
    speaker: 'a statement from the governor’s office',
    cue: 'according to',
    kind: 'direct_quote',
  });
});

t.test('"X said A, while Y said B": two speakers, two claims', async (t) => {
  t.same(pairs('The Port Authority said the project would create 12,000 jobs, while opposition councillor Jonas Berg said the estimate was too high.'), [
    ['Port Authority', 'reported', 'the project would create 12,000 jobs'],
    ['Jonas Berg', 'reported', 'the estimate was too high'],
  ]);
});

t.test('an organisation named only after "their union" refers to it', async (t) => {
  const c = only('Drivers walked out over what their union called "a wave of assaults" on staff. The Transit Workers Union has 3,000 members.');
  t.match(c, { speaker: 'Transit Workers Union', kind: 'paraphrase', quote: 'a wave of assaults' });
});

t.test('a person named with an affiliation: "Professor Helen Okonkwo of the University of Ibadan"', async (t) => {
  const c = only('"These are the best results we have seen," said Professor Helen Okonkwo of the University of Ibadan, who led the study.');
  t.match(c, { speaker: 'Helen Okonkwo', speaker_type: 'person', speaker_role: 'Professor, University of Ibadan' });
});

t.test('transcripts: each sentence of a "SPEAKER:" turn is a direct quote', async (t) => {
  const text =
    'MODERATOR: Good evening and welcome to the debate.\n\n' +
    'LINDQVIST: Unemployment fell by 3 percent under my administration. We built 12,000 homes.\n\n' +
    'BERG: That is simply not true, and everyone here knows it.';
  t.same(
    extractClaims(text).candidates.map((c) => [c.speaker, c.cue, c.quote]),
    [
      ['Moderator', ':', 'Good evening and welcome to the debate.'],
      ['Lindqvist', ':', 'Unemployment fell by 3 percent under my administration.'],
      ['Lindqvist', ':', 'We built 12,000 homes.'],
      ['Berg', ':', 'That is simply not true, and everyone here knows it.'],
    ],
  );
  t.same(pairs('MODERATOR: Thank you all.\n\nBERG: Thanks.'), [], 'sentences under four words are left out');
  t.same(extractClaims('Update: The council said on Monday that the vote was postponed until March.').candidates.map((c) => c.speaker), ['council'], 'one "Update:" line is not a transcript');
});

t.test('ids are stable for the same text and change with the words', async (t) => {
  const text = 'The Port Authority said the project would create 12,000 jobs.';
  t.equal(only(text).id, only(text).id);
  t.not(only(text).id, only(text.replace('12,000', '13,000')).id);
});
