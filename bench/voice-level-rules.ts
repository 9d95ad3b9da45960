// The rule each security level's threshold follows: the false-match rate it is set to on the calibration
// people. Shared by bench/voice-levels.ts and bench/fusion.ts so voice and the fused score mean the same.
export const VOICE_LEVEL_RULES = { high: 0.005, standard: 0.02 } as const;
