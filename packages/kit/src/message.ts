/** The message of a thrown value, without a final full stop (it goes inside a sentence of ours). */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message.replace(/\.$/, '');
  return String(err);
}
