import { z } from 'zod';
import { readJsonFile } from '../io/index.js';
import { UtcTimestampSchema } from '../schemas/index.js';

/** One project in an offline catalogue (§7.2.9.1). */
export const CatalogueProjectSchema = z.looseObject({
  uid: z.string().min(1),
  short_id: z.string().min(1),
  name: z.string().min(1),
  status: z.string().optional(),
  owner: z.string().nullable().optional(),
  contact: z.string().nullable().optional(),
  members: z.array(z.string()).optional(),
});
/** A catalogue project. */
export type CatalogueProject = z.infer<typeof CatalogueProjectSchema>;

/** The NAS-shared offline LIMS catalogue file (§7.2.9.1). */
export const OfflineCatalogueSchema = z.looseObject({
  schema_version: z.string(),
  produced_by: z.string(),
  produced_at: UtcTimestampSchema,
  lims_endpoint: z.string(),
  projects: z.array(CatalogueProjectSchema),
});
/** An offline catalogue. */
export type OfflineCatalogue = z.infer<typeof OfflineCatalogueSchema>;

/** Reads and validates an offline catalogue; failures are `cache_file_invalid` naming the file and field. */
export async function readOfflineCatalogue(path: string): Promise<OfflineCatalogue> {
  return readJsonFile(path, OfflineCatalogueSchema);
}
