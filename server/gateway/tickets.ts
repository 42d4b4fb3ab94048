/**
 * One-time tickets that hand an artist from the studio's port to a tool's port (each port is its own
 * origin behind RunPod's proxy, so the studio's cookie does not reach it): made by `GET /open/{tool}`,
 * valid for `TICKET_TTL_MS`, used once, bound to one tool and one artist. Kept in memory only.
 */
import { randomBytes } from "node:crypto";

export const TICKET_TTL_MS = 60_000;
/** The query parameter a ticket travels in. */
export const TICKET_PARAM = "studio_ticket";
/** At most this many unused tickets are held (the oldest go first). */
const MAX_TICKETS = 10_000;

interface Ticket {
  toolId: string;
  artist: string;
  expires: number;
}

export class Tickets {
  private readonly tickets = new Map<string, Ticket>();

  constructor(private readonly clock: () => number = Date.now) {}

  issue(toolId: string, artist: string): string {
    const now = this.clock();
    for (const [id, ticket] of this.tickets) if (ticket.expires <= now) this.tickets.delete(id);
    while (this.tickets.size >= MAX_TICKETS) this.tickets.delete(this.tickets.keys().next().value as string);
    const id = randomBytes(24).toString("base64url");
    this.tickets.set(id, { toolId, artist, expires: now + TICKET_TTL_MS });
    return id;
  }

  /** The artist of a valid ticket for `toolId`, once; null for a used, expired, forged or other-tool one. */
  redeem(id: string, toolId: string): string | null {
    const ticket = this.tickets.get(id);
    if (!ticket) return null;
    this.tickets.delete(id);
    if (ticket.toolId !== toolId || ticket.expires <= this.clock()) return null;
    return ticket.artist;
  }
}
