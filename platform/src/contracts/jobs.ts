/** Types of the job API (`/api/jobs/...`) the browser app reads; type-only, no runtime code. */

/** A job handler as the handler picker lists it (`GET /api/jobs/handlers`). */
export interface JobHandlerInfo {
  name: string;
  description: string;
  /** The plugin offering it, or null for the core's. */
  plugin: string | null;
}
