/**
 * A small demo newsroom data set: one local news article, one press statement,
 * the people and bodies quoted in them, and the checkable claims they made.
 *
 * Everything here is fictional (Norhaven, its council, its port and its people
 * do not exist) and was written for claimledger; the `.example` domains are
 * reserved (RFC 2606), so no link points at a real site.
 *
 * The source texts use typographic punctuation (“ ” ’ —) the way a publishing
 * system would, while the attribution quotes are typed with straight quotes,
 * apostrophes and plain hyphens the way a desk tool or a hurried editor would.
 * That is deliberate: seeding exercises the API's forgiving quote anchoring, and
 * every quote must still be found in its source (a 422 would fail the seed).
 *
 * Rows refer to each other by local `ref` names; seed.ts swaps them for the ids
 * the API hands out, so the data needs no hard-coded UUIDs.
 */

export type SourceRef = 'harbour-article' | 'port-statement';
export type ClaimantRef = 'lindqvist' | 'port-authority' | 'city-officials' | 'ekberg' | 'okafor';

/** Body of POST /v1/sources. */
export interface SeedSourceBody {
  kind: 'article' | 'transcript' | 'statement' | 'social_post' | 'report' | 'dataset' | 'other';
  url?: string;
  title: string;
  publisher?: string;
  authors?: string[];
  language?: string;
  published_at?: string;
  text?: string;
  metadata?: Record<string, unknown>;
}

/** Body of POST /v1/claimants. */
export interface SeedClaimantBody {
  name: string;
  kind?: 'person' | 'organization' | 'government' | 'media' | 'group' | 'unknown';
  aliases?: string[];
  description?: string;
  url?: string;
}

export interface SeedSource {
  ref: SourceRef;
  body: SeedSourceBody;
}

export interface SeedClaimant {
  ref: ClaimantRef;
  body: SeedClaimantBody;
}

/**
 * One inline attribution. Who said it is given exactly one way: a claimant
 * created above (`claimant`), a name the API matches to an existing claimant or
 * creates (`claimant_name`), or free text for unnamed speakers (`claimant_label`).
 */
export type SeedAttribution = {
  source: SourceRef;
  kind: 'direct_quote' | 'paraphrase' | 'reported' | 'headline' | 'other';
  stance: 'asserts' | 'denies' | 'questions' | 'reports';
  quote: string;
  said_at?: string;
} & (
  | { claimant: ClaimantRef; claimant_name?: never; claimant_label?: never }
  | { claimant_name: string; claimant?: never; claimant_label?: never }
  | { claimant_label: string; claimant?: never; claimant_name?: never }
);

export interface SeedClaim {
  text: string;
  language?: string;
  topics?: string[];
  status?: 'unreviewed' | 'in_review' | 'reviewed';
  attributions: SeedAttribution[];
}

/** The url of the first source doubles as the "has this database been seeded?" marker. */
export const SEED_MARKER_URL = 'https://harbourgazette.example/2026/03/council-approves-harbour-tunnel';

// The council debated on the evening of 11 March 2026; quotes from the
// session carry that time so `first_seen_at` predates the article.
const COUNCIL_SESSION = '2026-03-11T18:40:00.000Z';

const ARTICLE_TEXT = `NORHAVEN — The city council on Wednesday night approved the construction of a road tunnel beneath the inner harbour, ending almost a decade of debate over how to take container traffic out of the old town. The vote was 31 to 18, with two abstentions.

The tunnel will cost 2.4 billion euros, according to the Norhaven Port Authority, which will build and operate the 3.2-kilometre link together with the city. Construction is due to start in the spring of 2027.

Mayor Ana Lindqvist, who has championed the project since her election in 2022, called the decision “a once-in-a-generation investment in our city’s future.” Speaking to councillors before the vote, she said: “This tunnel will create 12,000 jobs in the region, and it will give the old town its streets back.”

“Not one euro of this will come from higher property taxes,” Lindqvist added. “The tolls and the port’s own revenues will pay for it.”

City officials said the tunnel would cut heavy-goods traffic through the old town by around 40 percent within two years of opening. About 9,000 lorries currently pass along Quay Street and the Market Bridge on an average weekday, according to the city’s most recent traffic count.

The opposition was not persuaded. Tomas Ekberg, who leads the Green Harbour group on the council, said the headline figure was incomplete. “The 2.4 billion leaves out roughly 0.6 billion euros in financing costs over the life of the loans,” he said. “Residents will end up paying for this through their property taxes, whatever the mayor promises today.”

Ekberg also questioned the jobs estimate. “Twelve thousand jobs is a number from a consultant’s brochure, not from any study this council has seen,” he said.

In a statement released after the vote, the Port Authority said the tunnel would be completed by 2033 and that its cost estimate included a contingency reserve of 15 percent. Its chief executive, Miriam Okafor, described the budget as “realistic and fully funded.”

Not everyone involved in the planning shares that confidence. A senior engineer on the project, who asked not to be named because they were not authorised to speak to the press, said a completion date of 2035 was “more realistic” given the soft clay under the harbour basin — the same ground conditions that delayed the Fjordgate bridge by three years.

The tunnel’s route runs from the container terminal at Kestrel Point to the ring road at Halvard Square, passing about 28 metres below the harbour floor at its deepest point. Two ventilation buildings are planned on the waterfront; residents of the Ropewalk district have already filed objections to the northern one.

Final approval still depends on the national transport ministry, which must sign off on the environmental assessment. A decision is expected before the summer. If the ministry agrees, the first tunnel-boring machine could arrive in Norhaven early next year.
`;

const STATEMENT_TEXT = `NORHAVEN, 11 March 2026 — The Norhaven Port Authority welcomes tonight’s decision by the city council to approve the harbour tunnel.

The total construction cost is estimated at 2.4 billion euros, including a contingency reserve of 15 percent. Financing will come from the Port Authority’s own revenues, a toll on heavy-goods vehicles and long-term loans from a consortium of commercial banks.

“Tonight’s vote lets us move from planning to building,” said Miriam Okafor, chief executive of the Port Authority. “We will start construction in spring 2027 and complete the tunnel by 2033, on time and on budget.”

The Port Authority will publish the full environmental assessment once the national transport ministry has reviewed it.

Media contact: press@portauthority-norhaven.example
`;

export const sources: SeedSource[] = [
  {
    ref: 'harbour-article',
    body: {
      kind: 'article',
      url: SEED_MARKER_URL,
      title: 'Council approves harbour tunnel in 31–18 vote',
      publisher: 'The Harbour Gazette',
      authors: ['Lena Marsh', 'Joel Baptiste'],
      language: 'en',
      published_at: '2026-03-12T05:15:00.000Z',
      text: ARTICLE_TEXT,
      metadata: { section: 'City', seeded_by: 'claimledger demo seed' },
    },
  },
  {
    ref: 'port-statement',
    body: {
      kind: 'statement',
      url: 'https://portauthority-norhaven.example/press/2026-03-11-harbour-tunnel-decision',
      title: 'Port Authority welcomes council vote on harbour tunnel',
      publisher: 'Norhaven Port Authority',
      authors: [],
      language: 'en',
      published_at: '2026-03-11T21:05:00.000Z',
      text: STATEMENT_TEXT,
      metadata: { seeded_by: 'claimledger demo seed' },
    },
  },
];

// No wikidata_id anywhere: these people are invented, and any Q-number would
// either be wrong or point at a real, unrelated entity.
export const claimants: SeedClaimant[] = [
  {
    ref: 'lindqvist',
    body: {
      name: 'Ana Lindqvist',
      kind: 'person',
      // "A. Lindkvist" is the misspelling a fuzzy search should still resolve.
      aliases: ['Mayor Lindqvist', 'A. Lindkvist'],
      description: 'Mayor of Norhaven since 2022.',
    },
  },
  {
    ref: 'port-authority',
    body: {
      name: 'Norhaven Port Authority',
      kind: 'organization',
      aliases: ['the Port Authority', 'Port of Norhaven'],
      description: 'Public body that runs the port of Norhaven; builder and future operator of the harbour tunnel.',
      url: 'https://portauthority-norhaven.example/',
    },
  },
  {
    ref: 'city-officials',
    body: {
      name: 'city officials',
      kind: 'group',
      aliases: ['Norhaven city officials', 'municipal officials'],
      description: 'Unnamed officials of the Norhaven city administration, as cited by the press.',
    },
  },
  {
    ref: 'ekberg',
    body: {
      name: 'Tomas Ekberg',
      kind: 'person',
      aliases: ['Councillor Ekberg', 'T. Ekberg'],
      description: 'Leader of the opposition Green Harbour group on Norhaven City Council.',
    },
  },
  {
    ref: 'okafor',
    body: {
      name: 'Miriam Okafor',
      kind: 'person',
      aliases: ['M. Okafor'],
      description: 'Chief executive of the Norhaven Port Authority.',
    },
  },
];

export const claims: SeedClaim[] = [
  {
    text: 'The harbour tunnel in Norhaven will cost 2.4 billion euros.',
    language: 'en',
    topics: ['infrastructure', 'public finance'],
    attributions: [
      {
        // The article reports the figure on the Port Authority's behalf.
        source: 'harbour-article',
        claimant: 'port-authority',
        kind: 'reported',
        stance: 'asserts',
        quote: 'The tunnel will cost 2.4 billion euros',
      },
      {
        source: 'port-statement',
        claimant: 'port-authority',
        kind: 'direct_quote',
        stance: 'asserts',
        quote: 'The total construction cost is estimated at 2.4 billion euros',
      },
    ],
  },
  {
    text: 'The 2.4 billion euro cost estimate for the Norhaven harbour tunnel leaves out about 0.6 billion euros of financing costs.',
    language: 'en',
    topics: ['infrastructure', 'public finance'],
    status: 'in_review',
    attributions: [
      {
        source: 'harbour-article',
        claimant: 'ekberg',
        kind: 'direct_quote',
        stance: 'asserts',
        quote: 'The 2.4 billion leaves out roughly 0.6 billion euros in financing costs over the life of the loans',
        said_at: COUNCIL_SESSION,
      },
    ],
  },
  {
    text: 'The Norhaven harbour tunnel will create 12,000 jobs in the region.',
    language: 'en',
    topics: ['infrastructure', 'employment'],
    attributions: [
      {
        // By name rather than id: the API should match it to the claimant created above.
        source: 'harbour-article',
        claimant_name: 'Ana Lindqvist',
        kind: 'direct_quote',
        stance: 'asserts',
        // Lower case on purpose: matching ignores letter case.
        quote: 'this tunnel will create 12,000 jobs in the region',
        said_at: COUNCIL_SESSION,
      },
      {
        source: 'harbour-article',
        claimant: 'ekberg',
        kind: 'direct_quote',
        stance: 'questions',
        // Straight apostrophe for the source's ’.
        quote: "Twelve thousand jobs is a number from a consultant's brochure, not from any study this council has seen",
      },
    ],
  },
  {
    text: 'The harbour tunnel will reduce heavy-goods traffic through Norhaven old town by about 40 percent.',
    language: 'en',
    topics: ['infrastructure', 'transport'],
    attributions: [
      {
        source: 'harbour-article',
        claimant: 'city-officials',
        kind: 'paraphrase',
        stance: 'asserts',
        quote: 'the tunnel would cut heavy-goods traffic through the old town by around 40 percent within two years of opening',
      },
    ],
  },
  {
    text: 'The Norhaven harbour tunnel will be completed by 2033.',
    language: 'en',
    topics: ['infrastructure', 'transport'],
    attributions: [
      {
        source: 'port-statement',
        claimant: 'okafor',
        kind: 'direct_quote',
        stance: 'asserts',
        quote: 'We will start construction in spring 2027 and complete the tunnel by 2033, on time and on budget.',
      },
      {
        source: 'harbour-article',
        claimant: 'port-authority',
        kind: 'reported',
        stance: 'asserts',
        quote: 'the Port Authority said the tunnel would be completed by 2033',
      },
      {
        // An unnamed speaker: a label, not a claimant. Straight quotes stand
        // for “ ”, the hyphen for the em dash, and the line break for one space.
        source: 'harbour-article',
        claimant_label: 'a senior engineer on the project',
        kind: 'reported',
        stance: 'questions',
        quote: `a completion date of 2035 was "more realistic" given the soft clay
          under the harbour basin - the same ground conditions that delayed the Fjordgate bridge by three years`,
      },
    ],
  },
  {
    text: 'Norhaven property taxes will rise to pay for the harbour tunnel.',
    language: 'en',
    topics: ['public finance', 'taxes'],
    attributions: [
      {
        source: 'harbour-article',
        claimant: 'ekberg',
        kind: 'direct_quote',
        stance: 'asserts',
        quote: 'Residents will end up paying for this through their property taxes',
        said_at: COUNCIL_SESSION,
      },
      {
        source: 'harbour-article',
        claimant: 'lindqvist',
        kind: 'direct_quote',
        stance: 'denies',
        quote: 'Not one euro of this will come from higher property taxes',
        said_at: COUNCIL_SESSION,
      },
    ],
  },
];
