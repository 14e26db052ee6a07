import type { Rand } from './roadmap.js';

export type Verdict = 'APPROVED' | 'REJECTED' | 'ESCALATED';

/** What happened to a task since it went in progress: what its next verdict depends on. */
interface Story {
  /** Executions since its last verdict: a gate reviews only work done since it last looked. */
  runsSinceVerdict: number;
  /** Verdicts so far that were not an approval. */
  setbacks: number;
}

/**
 * Each task's story, so that one task's executions, gate decisions, resolution attempts and
 * roadmap status tell one history, as a real autopilot's do: a gate reviews a task in progress
 * only once it has run since the last review; the first review rejects (or escalates) often, a
 * retry usually passes; an approval finishes the task. About 60 % of decisions approve.
 */
export class TaskStories {
  private readonly stories = new Map<string, Story>();

  private story(id: string): Story {
    let s = this.stories.get(id);
    if (!s) this.stories.set(id, (s = { runsSinceVerdict: 0, setbacks: 0 }));
    return s;
  }

  /** The tasks a gate can review now: in progress, and run since their last verdict. */
  reviewable(inProgress: readonly string[]): string[] {
    return inProgress.filter((id) => (this.stories.get(id)?.runsSinceVerdict ?? 0) > 0);
  }

  /** A verdict on `id`: after a setback the retry is likelier to pass. */
  review(r: Rand, id: string): Verdict {
    const s = this.story(id);
    const roll = r();
    const verdict: Verdict = s.setbacks === 0 ? (roll < 0.5 ? 'APPROVED' : roll < 0.9 ? 'REJECTED' : 'ESCALATED') : roll < 0.75 ? 'APPROVED' : roll < 0.95 ? 'REJECTED' : 'ESCALATED';
    s.runsSinceVerdict = 0;
    if (verdict === 'APPROVED') this.stories.delete(id);
    else s.setbacks++;
    return verdict;
  }

  ran(id: string): void {
    this.story(id).runsSinceVerdict++;
  }

  /** The task left progress another way (blocked, reopened): a new story starts when it is back. */
  forget(id: string): void {
    this.stories.delete(id);
  }
}
