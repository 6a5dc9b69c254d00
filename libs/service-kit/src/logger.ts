// Structured JSON logs, one object per line on stdout.
import winston from 'winston';

type LogMethod = (message: string, meta?: object) => unknown;

/** What code logs through: a message and structured fields. The winston logger createLogger makes fits. */
export interface Logger {
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
  /** A logger that adds `meta` to every line (a component, a target). */
  child(meta: object): Logger;
}

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

export function createLogger(service: string, level = 'info'): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { service },
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    transports: [new winston.transports.Console()],
  });
}
