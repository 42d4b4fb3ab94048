/** Model sets for the HTTP layer: list with status, download as a job, progress per set. */
import type { Logger } from "pino";
import type { Config } from "../config.js";

export interface ModelSetStatus {
  id: string;
  name: string;
  installed: number;
  total: number;
  bytes: number;
}

export class ModelService {
  warnings: string[] = [];
  constructor(private readonly options: { config: Config; logger: Logger }) {}

  async list(): Promise<ModelSetStatus[]> {
    void this.options;
    return [];
  }
}
