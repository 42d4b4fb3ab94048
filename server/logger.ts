import { pino, type Logger } from "pino";

/** Structured logs (JSON lines on stdout). Secrets are never logged; these paths are redacted anyway. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { app: "comfystudio" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        "password",
        "*.password",
        "hf_token",
        "civit_token",
        "*.hf_token",
        "*.civit_token",
        "req.headers.cookie",
        "req.headers.authorization",
        "token",
        "*.token",
      ],
      censor: "[hidden]",
    },
  });
}
