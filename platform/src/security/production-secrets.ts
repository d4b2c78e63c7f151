/** A production start refuses to run with secrets it would otherwise invent. */
export class MissingSecretError extends Error {
  constructor(readonly variables: string[]) {
    super(
      `NODE_ENV=production requires ${variables.join(' and ')}: set them (32+ random bytes each) and restart`,
    );
    this.name = 'MissingSecretError';
  }
}

const MIN_SECRET_LENGTH = 32;

/** Throws unless production has MES_ENCRYPTION_KEY and MES_JWT_SECRET of useful strength. Other environments pass. */
export function assertProductionSecrets(env: NodeJS.ProcessEnv = process.env): void {
  if (env.NODE_ENV !== 'production') return;
  const missing = ['MES_ENCRYPTION_KEY', 'MES_JWT_SECRET'].filter(
    (name) => (env[name]?.trim().length ?? 0) < MIN_SECRET_LENGTH,
  );
  if (missing.length > 0) throw new MissingSecretError(missing);
}
