/**
 * Word lists the attribution rules rely on. Journalistic English attributes
 * claims with a small, stable vocabulary (reporting verbs, titles, speaker
 * nouns), so explicit lists beat a statistical guess here and keep every
 * decision explainable. All entries are lower case.
 */

const words = (list: string) => new Set(list.trim().split(/\s+/));

/** Reporting verbs, every inflection that introduces an attribution. */
export const SPEECH_VERBS = words(`
  say says said saying tell tells told telling report reports reported reporting
  note notes noted noting add adds added adding claim claims claimed claiming
  argue argues argued arguing warn warns warned warning insist insists insisted insisting
  state states stated stating announce announces announced announcing
  acknowledge acknowledges acknowledged acknowledging admit admits admitted admitting
  confirm confirms confirmed confirming explain explains explained explaining
  estimate estimates estimated estimating predict predicts predicted predicting
  find finds found conclude concludes concluded concluding write writes wrote writing
  suggest suggests suggested suggesting maintain maintains maintained maintaining
  contend contends contended allege alleges alleged assert asserts asserted
  stress stresses stressed emphasise emphasises emphasised emphasize emphasizes emphasized
  reveal reveals revealed concede concedes conceded caution cautions cautioned
  agree agrees agreed complain complains complained point points pointed
  deny denies denied denying reject rejects rejected rejecting dismiss dismisses dismissed dismissing
  dispute disputes disputed question questions questioned questioning ask asks asked asking
  wonder wonders wondered doubt doubts doubted
  describe describes described call calls called brand brands branded label labels labelled labeled
  believe believes believed think thinks thought promise promises promised pledge pledges pledged
  recall recalls recalled tweet tweets tweeted post posts posted declare declares declared
  assure assures assured observe observes observed remark remarks remarked reply replies replied
  respond responds responded counter counters countered testify testifies testified
  show shows showed accuse accuses accused
`);

/** The subset that, with a direct quote, introduce it ("…," she added) — the rest need a clause. */
export const QUOTE_VERBS = words(`
  say says said saying tell tells told add adds added adding claim claims claimed
  argue argues argued warn warns warned insist insists insisted state states stated
  announce announces announced explain explains explained write writes wrote
  ask asks asked wonder wonders wondered reply replies replied respond responds responded
  counter counters countered remark remarks remarked observe observes observed
  note notes noted tweet tweets tweeted post posts posted declare declares declared
  recall recalls recalled stress stresses stressed admit admits admitted concede concedes conceded
  continue continues continued predict predicts predicted assure assures assured
  joke jokes joked quip quips quipped shout shouts shouted
`);

/** Verbs that need "that"/"whether" (or a paraphrase frame) to report a claim, never a bare clause. */
export const CLAUSE_ONLY_VERBS = words(`
  point points pointed agree agrees agreed complain complains complained
  believe believes believed think thinks thought promise promises promised pledge pledges pledged
  show shows showed find finds found conclude concludes concluded reveal reveals revealed
  question questions questioned ask asks asked wonder wonders wondered doubt doubts doubted
  deny denies denied reject rejects rejected dismiss dismisses dismissed dispute disputes disputed
  describe describes described call calls called brand brands branded label labels labelled labeled
  caution cautions cautioned observe observes observed recall recalls recalled tweet tweets tweeted
  post posts posted respond responds responded counter counters countered testify testifies testified
  estimate estimates estimated predict predicts predicted accuse accuses accused
`);

/** Verbs that take a listener before the clause: "told reporters that …". */
export const TELL_VERBS = words('tell tells told telling assure assures assured warn warns warned remind reminds reminded inform informs informed');

export const DENY_VERBS = words('deny denies denied denying reject rejects rejected rejecting dismiss dismisses dismissed dismissing dispute disputes disputed');
export const QUESTION_VERBS = words('question questions questioned questioning ask asks asked asking wonder wonders wondered doubt doubts doubted');
export const REPORT_VERBS = words('report reports reported reporting');
/** "called X Y", "described X as Y": the speaker characterises something. */
export const CHARACTERISE_VERBS = words('describe describes described call calls called brand brands branded label labels labelled labeled dismiss dismisses dismissed accuse accuses accused');

/** Nouns after a denial verb that introduce the denied clause: "rejected claims that …". */
export const CLAIM_NOUNS = words('claim claims suggestion suggestions report reports allegation allegations accusation accusations assertion assertions idea notion speculation rumours rumors charge charges criticism criticisms');

/** Titles written before a name ("Mayor Ana Lindqvist"); never part of the name itself. */
export const TITLES = words(`
  mayor president vice minister secretary senator governor commissioner chair chairman chairwoman chairperson
  chancellor director chief judge justice general gen gen. colonel col col. captain capt capt. lieutenant lt lt.
  sergeant sgt sgt. officer inspector superintendent constable detective det det. dr dr. doctor prof prof. professor
  mr mr. mrs mrs. ms ms. miss mx sir dame lord lady baroness baron rev rev. reverend father pope king queen prince princess
  ambassador rep rep. sen sen. gov gov. representative congressman congresswoman councillor councilor alderman
  speaker premier deputy spokesperson spokesman spokeswoman coach manager executive ceo cfo coo cto founder
  economist analyst researcher scientist developer commander admiral marshal sheriff attorney prosecutor
  bishop archbishop rabbi imam cardinal sister brother headteacher principal dean provost rector
`);

/** Words that describe a role or kind of organisation before a name ("ministry spokesperson Jane Doe", "charity Shelterwise"). */
export const ROLE_WORDS = words(`
  spokesperson spokesman spokeswoman minister secretary president chair chairman chairwoman director chief executive
  officer head leader councillor councilor senator governor mayor commissioner developer researcher economist analyst
  scientist professor expert lawyer attorney judge official adviser advisor manager founder ceo cfo coo editor
  reporter correspondent campaigner activist resident owner coach captain player doctor nurse surgeon teacher
  union charity company firm group service operator airline broadcaster agency carrier retailer bank lender insurer
  streaming housing security opposition health education finance foreign defence defense energy environment
  transport interior justice trade general deputy vice senior former acting interim shadow junior assistant associate
  operating financial technology chief-executive representative lobbyist consultant statistician glaciologist
  epidemiologist virologist historian author writer producer singer actor president-elect candidate challenger
  incumbent trustee partner strategist pollster economist-in-chief commander superintendent inspector constable
  police city state federal regional county district local national trust network platform app startup club
  league party movement campaign association institute watchdog regulator ministry department council authority
  committee board court commission fund foundation university college school hospital organisation organization
  giant maker manufacturer supermarket chain democrat republican conservative labour liberal independent
`);

/** Tokens that mark a name as an organisation. */
export const ORG_WORDS = words(`
  authority agency ministry department institute institution association organization organisation federation trust
  police board bank service fc club inc inc. ltd ltd. llc plc corp corp. corporation company co co. group council
  university college school hospital office commerce chamber union party court commission committee foundation fund
  capital partners research center centre society network news post times herald guardian wire press airlines airways
  energy reserve federal international television radio review journal bureau administration assembly parliament
  senate congress government cabinet army navy force forces command watch alliance league coalition movement front
  church museum library laboratory labs systems technologies holdings motors pharmaceuticals media studios industries
  institute observatory academy ventures bancorp insurance railways railway transit port museum council's
  organization's ministry's agency's un eu nato who imf opec
  semiconductor semiconductors motors airline pharma foods telecom telecoms communications software electronics devices
  robotics therapeutics biotech biosciences mining metals steel oil gas petroleum chemicals automotive aerospace shipping
  logistics solutions brands retail stores securities bancorp finance financial investments asset assets management
  entertainment games records publishing healthcare clinic pharmacy rovers athletic wanderers albion rangers celtic hotspur
`);

/** Speaker nouns: heads of nominal phrases that can make claims. */
export const PERSON_ROLE_NOUNS = words(`
  minister secretary president chair chairman chairwoman chairperson director chief executive officer head leader
  councillor councilor senator governor mayor commissioner spokesperson spokesman spokeswoman developer researcher
  economist analyst scientist professor expert lawyer attorney judge official adviser advisor manager founder ceo
  editor reporter campaigner activist resident owner coach captain doctor nurse surgeon teacher statistician
  glaciologist epidemiologist prosecutor inspector superintendent constable sheriff ambassador diplomat aide
  insider source person witness victim chancellor premier representative lobbyist consultant pollster strategist
  author trustee principal headteacher dean
`);

export const GROUP_NOUNS = words(`
  officials residents critics experts analysts economists scientists researchers sources people witnesses victims
  campaigners activists investors traders authors organisers organizers organisations organizations groups unions
  members supporters opponents fans parents teachers doctors nurses workers employees staff lawyers prosecutors
  police investigators lawmakers legislators politicians leaders ministers diplomats aides insiders observers
  forecasters meteorologists glaciologists scholars academics commentators pollsters voters protesters demonstrators
  locals neighbours neighbors farmers fishermen fishers pilots passengers users customers consumers shoppers
  businesses companies firms banks insurers landlords tenants students pupils officers
  authorities regulators agencies governments countries states markets
`);

export const ORG_NOUNS = words(`
  ministry agency department company firm union council authority government administration police service bank
  institute association federation committee board court commission league club charity group trust organisation
  organization office bureau regulator watchdog party campaign movement network broadcaster newspaper airline
  carrier operator developer retailer insurer lender university college school hospital army military navy
  foundation fund society alliance coalition parliament senate congress cabinet embassy consulate observatory
  brigade force
`);

/** Documents that "say" things: "the report says", "according to figures released by …". */
export const DOCUMENT_NOUNS = words(`
  report study survey poll figures data statistics filing statement document analysis review audit accounts
  assessment projections forecast paper research findings investigation inquiry records memo letter complaint
  lawsuit ruling judgment judgement indictment release estimates census documents reports studies surveys polls
  filings statements analyses reviews audits papers memos letters complaints lawsuits rulings
`);

/** Heads of anonymous speakers: "one official", "a senior source", "two people familiar with …". */
export const ANONYMOUS_NOUNS = words('official officials source sources person people insider insiders aide aides diplomat diplomats someone individual individuals executive executives employee employees staffer staffers');

export const MALE_WORDS = words('he him his mr mr. sir lord king prince spokesman chairman congressman businessman father brother baron');
export const FEMALE_WORDS = words('she her hers mrs mrs. ms ms. miss dame lady queen princess spokeswoman chairwoman congresswoman businesswoman mother sister baroness');

export const SINGULAR_PRONOUNS = words('he she');
export const PLURAL_PRONOUNS = words('they');

/** Capitalised words that are never part of a name. */
export const NOT_NAME_WORDS = words(`
  the a an and but or nor so yet for in on at by to of from with without as if when while after before since until
  though although because however meanwhile also still even only just then there here this that these those it its
  he she they we i you his her their our my your who whom whose which what where why how not no yes all some many
  most more few several both each every any one two three four five six seven eight nine ten
  monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
  september october november december today yesterday tomorrow tonight
  according asked speaking despite under over about around nearly almost
`);

/** Adverbs and auxiliaries allowed between a subject and its reporting verb ("has also said"). */
export const PRE_VERB_FILLERS = words('has have had also later previously repeatedly separately earlier then again once now already long would will did does do further privately publicly recently reportedly initially originally even simply flatly firmly strongly angrily quickly immediately');

/** Month and weekday names are capitalised but are not names. */
export const CALENDAR_WORDS = words('monday tuesday wednesday thursday friday saturday sunday january february march april may june july august september october november december');

export const NUMBER_WORDS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18,
  nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
  hundred: 100, dozen: 12, a: 1, an: 1, single: 1,
};

export const SCALE_WORDS: Record<string, number> = {
  hundred: 1e2, thousand: 1e3, k: 1e3, million: 1e6, m: 1e6, mn: 1e6, mln: 1e6, billion: 1e9, bn: 1e9, b: 1e9, trillion: 1e12, tn: 1e12, trn: 1e12,
};

export const FRACTION_WORDS: Record<string, number> = {
  half: 1 / 2, halves: 1 / 2, third: 1 / 3, thirds: 1 / 3, quarter: 1 / 4, quarters: 1 / 4, fourth: 1 / 4, fourths: 1 / 4,
  fifth: 1 / 5, fifths: 1 / 5, sixth: 1 / 6, sixths: 1 / 6, eighth: 1 / 8, eighths: 1 / 8, tenth: 1 / 10, tenths: 1 / 10,
};
