import { expectIdentityVersion, finite, IDENTITY_SNAPSHOT_VERSION } from "./snapshot.ts";

/**
 * The identity of a track from all its embeddings. Each embedding gives, for the few nearest identities of
 * the gallery, a similarity. Every identity keeps a decayed average of its similarity over the track's
 * embeddings (an identity missing from an embedding's nearest list counts as 0 there), so old evidence
 * counts but fades. The leading identity is the one with the highest average; it is accepted when its
 * average reaches the threshold. The track's identity changes (unknown → name, name → other name,
 * name → unknown) only after the same new candidate has led for `credence` embeddings in a row.
 */
export interface Candidate {
  id: string;
  name: string;
  similarity: number;
}

export interface IdentityOptions {
  /** cosine_similarity_threshold. */
  threshold: number;
  /** Consecutive agreeing embeddings needed to change the identity. */
  credence: number;
  /** Weight of the past per new embedding (0 = only the last embedding counts). */
  decay?: number;
}

export interface IdentityDecision {
  /** null: unknown. */
  identity: { id: string; name: string } | null;
  /** Decayed average similarity of the decided identity (of the best candidate when unknown). */
  confidence: number;
  /** The identity changed with this embedding. */
  changed: boolean;
  /** The current decision has been confirmed by `credence` agreeing embeddings. */
  settled: boolean;
}

interface Evidence {
  name: string;
  /** Decayed sum of similarities and of weights. */
  sum: number;
  weight: number;
}

/** A track identity's evidence and decision state as plain JSON (its options are not included). */
export interface TrackIdentitySnapshot {
  v: typeof IDENTITY_SNAPSHOT_VERSION;
  /** Per identity, in the order first seen (the order breaks ties between leaders). */
  evidence: { id: string; name: string; sum: number; weight: number }[];
  totalWeight: number;
  current: { id: string; name: string } | null;
  /** The candidate leading for a change: absent when none, `{ id: null }` for unknown. */
  pending: { id: string | null } | null;
  streak: number;
  embeddings: number;
  confidence: number;
}

export class TrackIdentity {
  readonly #options: Required<IdentityOptions>;
  readonly #evidence = new Map<string, Evidence>();
  #totalWeight = 0;
  #current: { id: string; name: string } | null = null;
  #pending: string | null | undefined = undefined;
  #streak = 0;
  #embeddings = 0;
  #confidence = 0;

  constructor(options: IdentityOptions) {
    this.#options = { decay: 0.85, ...options };
  }

  get identity(): { id: string; name: string } | null {
    return this.#current;
  }

  get confidence(): number {
    return this.#confidence;
  }

  get embeddings(): number {
    return this.#embeddings;
  }

  /**
   * The leading candidate of the evidence: the identity with the highest decayed average similarity,
   * whether or not it reaches the threshold (null before any candidate). While the decision is unknown it
   * is the identity the face came closest to ("unknown — closest: obama 0.28").
   */
  get closest(): Candidate | null {
    let best: Candidate | null = null;
    if (this.#totalWeight <= 0) return null;
    for (const [id, e] of this.#evidence) {
      const similarity = e.sum / this.#totalWeight;
      if (!best || similarity > best.similarity) best = { id, name: e.name, similarity };
    }
    return best;
  }

  /** Adds one embedding's nearest identities (any order; similarities in [-1, 1]). */
  add(candidates: readonly Candidate[]): IdentityDecision {
    const decay = this.#options.decay;
    this.#embeddings++;
    this.#totalWeight = this.#totalWeight * decay + 1;
    for (const e of this.#evidence.values()) e.sum *= decay;
    for (const c of candidates) {
      const e = this.#evidence.get(c.id) ?? { name: c.name, sum: 0, weight: 0 };
      e.sum += c.similarity;
      e.name = c.name;
      this.#evidence.set(c.id, e);
    }
    // Leader: highest decayed average similarity over every embedding of the track.
    let leaderId: string | null = null;
    let leaderAvg = Number.NEGATIVE_INFINITY;
    for (const [id, e] of this.#evidence) {
      const avg = e.sum / this.#totalWeight;
      if (avg > leaderAvg) {
        leaderAvg = avg;
        leaderId = id;
      }
    }
    const candidate = leaderId !== null && leaderAvg >= this.#options.threshold ? leaderId : null;
    const currentId = this.#current?.id ?? null;
    let changed = false;
    if (candidate === currentId) {
      this.#pending = undefined;
      this.#streak = Math.min(this.#streak + 1, this.#options.credence);
    } else {
      if (this.#pending === candidate) this.#streak++;
      else {
        this.#pending = candidate;
        this.#streak = 1;
      }
      if (this.#streak >= this.#options.credence) {
        this.#current =
          candidate === null
            ? null
            : { id: candidate, name: (this.#evidence.get(candidate) as Evidence).name };
        this.#pending = undefined;
        changed = true;
      }
    }
    const decided = this.#current?.id ?? leaderId;
    const e = decided === null ? undefined : this.#evidence.get(decided);
    this.#confidence = e ? e.sum / this.#totalWeight : 0;
    return {
      identity: this.#current,
      confidence: this.#confidence,
      changed,
      settled: this.#pending === undefined && this.#streak >= this.#options.credence,
    };
  }

  snapshot(): TrackIdentitySnapshot {
    return {
      v: IDENTITY_SNAPSHOT_VERSION,
      evidence: [...this.#evidence].map(([id, e]) => ({ id, name: e.name, sum: e.sum, weight: e.weight })),
      totalWeight: this.#totalWeight,
      current: this.#current ? { ...this.#current } : null,
      pending: this.#pending === undefined ? null : { id: this.#pending },
      streak: this.#streak,
      embeddings: this.#embeddings,
      confidence: this.#confidence,
    };
  }

  /** Replaces the state with a snapshot's; throws (changing nothing) for another version or a malformed one. */
  restore(snapshot: TrackIdentitySnapshot): void {
    const s = expectIdentityVersion("TrackIdentity", snapshot);
    if (!Array.isArray(s.evidence)) throw new Error("TrackIdentity.evidence: expected an array");
    const evidence = new Map<string, Evidence>();
    for (const [i, e] of (s.evidence as TrackIdentitySnapshot["evidence"]).entries()) {
      if (typeof e?.id !== "string" || typeof e.name !== "string") {
        throw new Error(`TrackIdentity.evidence[${i}]: expected an id and a name`);
      }
      evidence.set(e.id, {
        name: e.name,
        sum: finite(`TrackIdentity.evidence[${i}].sum`, e.sum),
        weight: finite(`TrackIdentity.evidence[${i}].weight`, e.weight),
      });
    }
    const current = s.current as TrackIdentitySnapshot["current"];
    if (current !== null && (typeof current?.id !== "string" || typeof current.name !== "string")) {
      throw new Error("TrackIdentity.current: expected null or an id and a name");
    }
    const pending = s.pending as TrackIdentitySnapshot["pending"];
    if (pending !== null && typeof pending?.id !== "string" && pending?.id !== null) {
      throw new Error("TrackIdentity.pending: expected null or { id: string | null }");
    }
    const totalWeight = finite("TrackIdentity.totalWeight", s.totalWeight);
    const streak = finite("TrackIdentity.streak", s.streak);
    const embeddings = finite("TrackIdentity.embeddings", s.embeddings);
    const confidence = finite("TrackIdentity.confidence", s.confidence);
    this.#evidence.clear();
    for (const [id, e] of evidence) this.#evidence.set(id, e);
    this.#totalWeight = totalWeight;
    this.#current = current ? { id: current.id, name: current.name } : null;
    this.#pending = pending === null ? undefined : pending.id;
    this.#streak = streak;
    this.#embeddings = embeddings;
    this.#confidence = confidence;
  }

  /** Renames an identity in the evidence (the gallery renamed it). */
  rename(id: string, name: string): void {
    const e = this.#evidence.get(id);
    if (e) e.name = name;
    if (this.#current?.id === id) this.#current = { id, name };
  }
}
