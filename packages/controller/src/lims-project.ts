import { readCreationJson } from '@exlab/core/cache';
import { ExLabError, ValidationError } from '@exlab/core/errors';
import { type CatalogueProject, readOfflineCatalogue } from '@exlab/core/lims';
import type { Config, LimsProjectRef, ProjectCreateRequest, RunCreateRequest } from '@exlab/core/schemas';

/**
 * Finds the LIMS project a run belongs to: inherited from the project's creation.json when the
 * project exists (core.md F3), else looked up by name in the offline catalogue, else taken
 * from the request's `lims_project`. Unknown projects are `project_not_found`.
 */
export async function resolveLimsProject(config: Config, projectDirectory: string, request: RunCreateRequest): Promise<LimsProjectRef> {
  // Only a missing project record falls through; a corrupt or unreadable one is an error to see.
  const existing = await readCreationJson(projectDirectory).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  });
  // A project first recorded before schema 1.5 has no LIMS link (null): look it up like a new one.
  if (existing?.lims_project) return existing.lims_project;

  if (request.lims_project !== undefined && request.lims_project.name !== request.project_name) {
    throw new ValidationError(
      `lims_project.name "${request.lims_project.name}" differs from project_name "${request.project_name}"; the project folder is named after the LIMS project.`,
      {
        field: 'lims_project.name',
      },
    );
  }
  const cataloguePath = config.lims.offline_catalogue_path;
  if (cataloguePath !== '') {
    const wanted = request.lims_project;
    return fromCatalogue(cataloguePath, {
      matches: (p) => (wanted ? p.uid === wanted.uid : p.name === request.project_name),
      notFound: `Project "${request.project_name}" is not in the LIMS catalogue ${cataloguePath}`,
      notFoundField: 'project_name',
      name: request.project_name,
      nameField: 'project_name',
    });
  }
  if (request.lims_project !== undefined) {
    return {
      uid: request.lims_project.uid,
      short_id: request.lims_project.short_id,
      name_at_creation: request.lims_project.name,
      source: 'live',
      cache_freshness_at_use: null,
    };
  }
  throw new ExLabError(
    'project_not_found',
    `Project "${request.project_name}" has no creation.json yet and the request names no lims_project; pick the project from the LIMS list.`,
    {
      field: 'lims_project',
    },
  );
}

/**
 * The LIMS project a new project folder is created for: the request's `lims_project`, checked
 * against the offline catalogue when one is configured (by uid, and the name must match), else
 * recorded as given with `source: live`.
 */
export async function resolveNewProjectLims(config: Config, request: ProjectCreateRequest): Promise<LimsProjectRef> {
  const wanted = request.lims_project;
  const cataloguePath = config.lims.offline_catalogue_path;
  if (cataloguePath === '') {
    return { uid: wanted.uid, short_id: wanted.short_id, name_at_creation: wanted.name, source: 'live', cache_freshness_at_use: null };
  }
  return fromCatalogue(cataloguePath, {
    matches: (p) => p.uid === wanted.uid,
    notFound: `LIMS project ${wanted.short_id} (uid ${wanted.uid}) is not in the LIMS catalogue ${cataloguePath}`,
    notFoundField: 'lims_project.uid',
    name: wanted.name,
    nameField: 'lims_project.name',
  });
}

/** How a catalogue lookup finds its project and names the request's fields in its errors. */
interface CatalogueLookup {
  matches: (project: CatalogueProject) => boolean;
  /** The start of the not-found message; the known project names follow. */
  notFound: string;
  notFoundField: string;
  /** The project name the request gave, which must be the catalogue's. */
  name: string;
  nameField: string;
}

// The catalogue's project by `matches`, whose name must be the one requested (the folder carries the LIMS name).
async function fromCatalogue(cataloguePath: string, lookup: CatalogueLookup): Promise<LimsProjectRef> {
  const catalogue = await readOfflineCatalogue(cataloguePath);
  const match = catalogue.projects.find(lookup.matches);
  if (!match) {
    const known = catalogue.projects.map((p) => p.name);
    throw new ExLabError('project_not_found', `${lookup.notFound}; known projects: ${known.join(', ') || '(none)'}.`, {
      field: lookup.notFoundField,
      details: { allowed: known },
    });
  }
  if (match.name !== lookup.name) {
    throw new ValidationError(
      `LIMS project ${match.short_id} is named "${match.name}" in the catalogue, not "${lookup.name}"; the project folder must carry the LIMS name.`,
      { field: lookup.nameField, details: { lims_name: match.name } },
    );
  }
  return {
    uid: match.uid,
    short_id: match.short_id,
    name_at_creation: match.name,
    source: 'offline_catalogue',
    cache_freshness_at_use: catalogue.produced_at,
  };
}
