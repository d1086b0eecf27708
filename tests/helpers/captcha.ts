/**
 * The pictures of the bot's human check by their English names, so a test can answer it the way
 * a person would: read the word, tap the picture.
 */
export const EMOJI_BY_NAME: Record<string, string> = {
  apple: '🍎',
  car: '🚗',
  dog: '🐶',
  cactus: '🌵',
  ball: '⚽',
  guitar: '🎸',
  rocket: '🚀',
  pizza: '🍕',
  fish: '🐟',
  moon: '🌙',
  key: '🔑',
  umbrella: '☂️',
}
