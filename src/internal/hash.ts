import { hash } from 'node:crypto';

/** Hex SHA-256 of a string (one-shot `crypto.hash`: no Hash object per call). */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}
