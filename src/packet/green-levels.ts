// Green levels, the packet's test ladder: a leaf module so the lane states (and the CLI
// commands that only read lanes) do not build the whole packet schema to know them.
import { z } from 'zod';

export const GREEN_LEVELS = ['none', 'targeted', 'package', 'workspace', 'merge_ready'] as const;
/** Ordered from weakest to strongest; `GREEN_LEVELS.indexOf` compares levels. */
export const GreenLevelSchema = z.enum(GREEN_LEVELS);
export type GreenLevel = z.infer<typeof GreenLevelSchema>;
