// Small zod builders shared by the packet's schema modules.
import { z } from 'zod';

export const nonEmpty = () => z.string().trim().min(1);

export const positiveInt = () => z.number().int().positive();
