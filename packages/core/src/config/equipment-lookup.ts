import type { Config, EquipmentConfig } from '../schemas/config.js';

/** The equipment entry with exactly this id (ids are never case-folded, §3.1); undefined when not configured. */
export function findEquipment(config: Pick<Config, 'equipment'>, id: string): EquipmentConfig | undefined {
  return config.equipment.find((entry) => entry.id === id);
}
