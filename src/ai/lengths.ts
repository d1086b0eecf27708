/** Article length presets: target words overall, and how many sections the outline should have. */
export const LENGTH_PRESETS = ['short', 'medium', 'long', 'xlong'] as const
export type LengthPreset = (typeof LENGTH_PRESETS)[number]

export const LENGTH_TARGETS: Record<LengthPreset, { words: number; sections: [number, number] }> = {
  short: { words: 800, sections: [3, 4] },
  medium: { words: 1500, sections: [4, 6] },
  long: { words: 3000, sections: [6, 9] },
  xlong: { words: 5000, sections: [9, 14] },
}
