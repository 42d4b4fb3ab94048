/**
 * The budget of wrong passwords (login and admin mode). Two token buckets: one per client address (the
 * address the proxy saw, else the socket's) and one for the whole studio, which no header can dodge.
 * Each wrong password takes a token; tokens come back at a steady rate, so once an attack stops the real
 * user gets in again within seconds. While either bucket is empty every password check answers 429
 * (a right password cannot be told apart without checking it).
 */
import type { Request } from "express";
import { StudioError } from "../util/errors.js";

export interface BucketSettings {
  /** Wrong passwords allowed at once. */
  burst: number;
  /** One more is allowed every this many ms. */
  refillMs: number;
}

/** Per address: 10 at once, then one every 6 s. */
export const PER_ADDRESS: BucketSettings = { burst: 10, refillMs: 6_000 };
/** For the whole studio: 30 at once, then one every 3 s (at most 28,800 guesses a day, however spread). */
export const OVERALL: BucketSettings = { burst: 30, refillMs: 3_000 };
/** Address buckets kept at most (full buckets are dropped first). */
const MAX_ADDRESSES = 10_000;

class Bucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly settings: BucketSettings,
    now: number,
  ) {
    this.tokens = settings.burst;
    this.at = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.settings.burst, this.tokens + (now - this.at) / this.settings.refillMs);
    this.at = now;
  }

  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.settings.burst;
  }

  take(now: number): void {
    this.refill(now);
    this.tokens = Math.max(0, this.tokens - 1);
  }

  /** Ms until a wrong password may be tried again (0: now). */
  wait(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) * this.settings.refillMs);
  }
}

/** The address the proxy in front of the studio saw (the last X-Forwarded-For entry), else the socket's. */
export function proxiedAddress(req: Request): string {
  const forwarded = req.headers["x-forwarded-for"];
  const last = (Array.isArray(forwarded) ? forwarded.join(",") : (forwarded ?? "")).split(",").pop()?.trim();
  return last || req.socket.remoteAddress || "unknown";
}

export class LoginBudget {
  private readonly overall: Bucket;
  private readonly addresses = new Map<string, Bucket>();

  constructor(
    private readonly perAddress = PER_ADDRESS,
    private readonly total = OVERALL,
    private readonly clock: () => number = Date.now,
  ) {
    this.overall = new Bucket(total, clock());
  }

  private bucket(address: string): Bucket {
    let bucket = this.addresses.get(address);
    if (!bucket) {
      if (this.addresses.size >= MAX_ADDRESSES) this.forgetFull();
      bucket = new Bucket(this.perAddress, this.clock());
      this.addresses.set(address, bucket);
    }
    return bucket;
  }

  private forgetFull(): void {
    const now = this.clock();
    for (const [address, bucket] of this.addresses) if (bucket.isFull(now)) this.addresses.delete(address);
    if (this.addresses.size >= MAX_ADDRESSES)
      this.addresses.delete(this.addresses.keys().next().value as string);
  }

  /** Throws 429 when a password may not be checked now. */
  check(req: Request): void {
    const now = this.clock();
    const wait = Math.max(this.bucket(proxiedAddress(req)).wait(now), this.overall.wait(now));
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new StudioError(429, `Too many wrong passwords; wait ${seconds} s and try again.`, {
        "Retry-After": String(seconds),
      });
    }
  }

  /** Counts a wrong password. */
  failed(req: Request): void {
    const now = this.clock();
    this.bucket(proxiedAddress(req)).take(now);
    this.overall.take(now);
  }
}
