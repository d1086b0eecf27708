import { isValidTimeZone } from '../lib/timezone'

/**
 * Cities people name when asked for a time zone, Russian and English spellings, by IANA zone.
 * The first city of a zone is how the zone is shown back to them. Russia and the CIS fully (every
 * Russian zone), and the world's large cities.
 */
const CITIES: Array<[zone: string, ru: string[], en: string[]]> = [
  ['Europe/Kaliningrad', ['Калининград'], ['Kaliningrad']],
  [
    'Europe/Moscow',
    ['Москва', 'мск', 'Санкт-Петербург', 'Петербург', 'Питер', 'СПб', 'Казань', 'Нижний Новгород', 'Воронеж', 'Ростов-на-Дону', 'Ростов', 'Краснодар', 'Сочи', 'Ярославль', 'Тула', 'Рязань', 'Мурманск', 'Архангельск', 'Киров', 'Пенза', 'Липецк', 'Белгород', 'Курск', 'Тверь', 'Смоленск', 'Махачкала', 'Грозный', 'Ставрополь', 'Симферополь', 'Севастополь', 'Чебоксары'],
    ['Moscow', 'Saint Petersburg', 'St Petersburg', 'Petersburg', 'Kazan', 'Nizhny Novgorod', 'Voronezh', 'Rostov-on-Don', 'Krasnodar', 'Sochi', 'Simferopol', 'Sevastopol'],
  ],
  ['Europe/Volgograd', ['Волгоград'], ['Volgograd']],
  ['Europe/Samara', ['Самара', 'Тольятти', 'Ижевск'], ['Samara', 'Izhevsk']],
  ['Europe/Saratov', ['Саратов'], ['Saratov']],
  ['Europe/Ulyanovsk', ['Ульяновск'], ['Ulyanovsk']],
  ['Europe/Astrakhan', ['Астрахань'], ['Astrakhan']],
  [
    'Asia/Yekaterinburg',
    ['Екатеринбург', 'Челябинск', 'Пермь', 'Уфа', 'Тюмень', 'Оренбург', 'Магнитогорск', 'Курган', 'Сургут', 'Ханты-Мансийск'],
    ['Yekaterinburg', 'Ekaterinburg', 'Chelyabinsk', 'Perm', 'Ufa', 'Tyumen'],
  ],
  ['Asia/Omsk', ['Омск'], ['Omsk']],
  ['Asia/Novosibirsk', ['Новосибирск'], ['Novosibirsk']],
  ['Asia/Barnaul', ['Барнаул'], ['Barnaul']],
  ['Asia/Tomsk', ['Томск'], ['Tomsk']],
  ['Asia/Novokuznetsk', ['Новокузнецк', 'Кемерово'], ['Novokuznetsk', 'Kemerovo']],
  ['Asia/Krasnoyarsk', ['Красноярск', 'Норильск', 'Абакан', 'Кызыл'], ['Krasnoyarsk', 'Norilsk']],
  ['Asia/Irkutsk', ['Иркутск', 'Улан-Удэ', 'Братск'], ['Irkutsk', 'Ulan-Ude']],
  ['Asia/Chita', ['Чита'], ['Chita']],
  ['Asia/Yakutsk', ['Якутск', 'Благовещенск'], ['Yakutsk', 'Blagoveshchensk']],
  ['Asia/Vladivostok', ['Владивосток', 'Хабаровск', 'Находка', 'Комсомольск-на-Амуре'], ['Vladivostok', 'Khabarovsk']],
  ['Asia/Sakhalin', ['Южно-Сахалинск', 'Сахалин'], ['Yuzhno-Sakhalinsk', 'Sakhalin']],
  ['Asia/Magadan', ['Магадан'], ['Magadan']],
  ['Asia/Srednekolymsk', ['Среднеколымск'], ['Srednekolymsk']],
  ['Asia/Kamchatka', ['Петропавловск-Камчатский', 'Камчатка', 'Анадырь'], ['Petropavlovsk-Kamchatsky', 'Kamchatka', 'Anadyr']],
  ['Europe/Minsk', ['Минск', 'Гомель', 'Брест'], ['Minsk']],
  ['Europe/Kyiv', ['Киев', 'Київ', 'Харьков', 'Одесса', 'Львов', 'Днепр'], ['Kyiv', 'Kiev', 'Kharkiv', 'Odesa', 'Lviv']],
  ['Europe/Chisinau', ['Кишинёв'], ['Chisinau']],
  ['Asia/Almaty', ['Алматы', 'Алма-Ата', 'Астана', 'Шымкент', 'Караганда'], ['Almaty', 'Astana', 'Shymkent']],
  ['Asia/Tashkent', ['Ташкент', 'Самарканд'], ['Tashkent', 'Samarkand']],
  ['Asia/Bishkek', ['Бишкек'], ['Bishkek']],
  ['Asia/Dushanbe', ['Душанбе'], ['Dushanbe']],
  ['Asia/Ashgabat', ['Ашхабад'], ['Ashgabat']],
  ['Asia/Yerevan', ['Ереван'], ['Yerevan']],
  ['Asia/Tbilisi', ['Тбилиси', 'Батуми'], ['Tbilisi', 'Batumi']],
  ['Asia/Baku', ['Баку'], ['Baku']],
  ['Europe/Riga', ['Рига'], ['Riga']],
  ['Europe/Vilnius', ['Вильнюс'], ['Vilnius']],
  ['Europe/Tallinn', ['Таллин', 'Таллинн'], ['Tallinn']],
  ['Europe/Helsinki', ['Хельсинки'], ['Helsinki']],
  ['Europe/Warsaw', ['Варшава'], ['Warsaw']],
  ['Europe/Prague', ['Прага'], ['Prague']],
  ['Europe/Berlin', ['Берлин', 'Мюнхен'], ['Berlin', 'Munich']],
  ['Europe/Vienna', ['Вена'], ['Vienna']],
  ['Europe/Paris', ['Париж'], ['Paris']],
  ['Europe/Rome', ['Рим', 'Милан'], ['Rome', 'Milan']],
  ['Europe/Madrid', ['Мадрид', 'Барселона'], ['Madrid', 'Barcelona']],
  ['Europe/Lisbon', ['Лиссабон'], ['Lisbon']],
  ['Europe/Amsterdam', ['Амстердам'], ['Amsterdam']],
  ['Europe/London', ['Лондон'], ['London']],
  ['Europe/Belgrade', ['Белград'], ['Belgrade']],
  ['Europe/Athens', ['Афины'], ['Athens']],
  ['Asia/Nicosia', ['Лимасол', 'Никосия', 'Кипр'], ['Limassol', 'Nicosia', 'Cyprus']],
  ['Europe/Istanbul', ['Стамбул', 'Анталья', 'Анкара'], ['Istanbul', 'Antalya', 'Ankara']],
  ['Asia/Jerusalem', ['Тель-Авив', 'Иерусалим', 'Хайфа'], ['Tel Aviv', 'Jerusalem', 'Haifa']],
  ['Asia/Dubai', ['Дубай', 'Абу-Даби'], ['Dubai', 'Abu Dhabi']],
  ['Asia/Kolkata', ['Дели', 'Мумбаи', 'Гоа'], ['Delhi', 'New Delhi', 'Mumbai', 'Goa']],
  ['Asia/Bangkok', ['Бангкок', 'Пхукет', 'Паттайя'], ['Bangkok', 'Phuket', 'Pattaya']],
  ['Asia/Ho_Chi_Minh', ['Хошимин', 'Нячанг'], ['Ho Chi Minh City', 'Nha Trang']],
  ['Asia/Makassar', ['Бали', 'Денпасар'], ['Bali', 'Denpasar']],
  ['Asia/Singapore', ['Сингапур'], ['Singapore']],
  ['Asia/Shanghai', ['Пекин', 'Шанхай', 'Гуанчжоу'], ['Beijing', 'Shanghai', 'Guangzhou']],
  ['Asia/Hong_Kong', ['Гонконг'], ['Hong Kong']],
  ['Asia/Seoul', ['Сеул'], ['Seoul']],
  ['Asia/Tokyo', ['Токио'], ['Tokyo']],
  ['Australia/Sydney', ['Сидней'], ['Sydney']],
  ['America/New_York', ['Нью-Йорк', 'Майами', 'Вашингтон'], ['New York', 'Miami', 'Washington']],
  ['America/Toronto', ['Торонто'], ['Toronto']],
  ['America/Chicago', ['Чикаго'], ['Chicago']],
  ['America/Denver', ['Денвер'], ['Denver']],
  ['America/Los_Angeles', ['Лос-Анджелес', 'Сан-Франциско'], ['Los Angeles', 'San Francisco']],
  ['America/Sao_Paulo', ['Сан-Паулу'], ['Sao Paulo']],
  ['America/Mexico_City', ['Мехико'], ['Mexico City']],
]

/** "г. Санкт-Петербург", "САНКТ ПЕТЕРБУРГ", "ё"/"е": one key for the ways a city is typed. */
function cityKey(value: string): string {
  return value
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/^(г\.|город|city of)\s*/, '')
    .replace(/[\s\-–.]+/g, ' ')
    .trim()
}

const BY_CITY = new Map<string, string>()
for (const [zone, ru, en] of CITIES) for (const city of [...ru, ...en]) BY_CITY.set(cityKey(city), zone)

/** Half-hour and other non-whole offsets have no Etc/GMT zone: the places that keep them. */
const ODD_OFFSETS: Record<string, string> = {
  '+3:30': 'Asia/Tehran',
  '+4:30': 'Asia/Kabul',
  '+5:30': 'Asia/Kolkata',
  '+5:45': 'Asia/Kathmandu',
  '+6:30': 'Asia/Yangon',
  '+9:30': 'Australia/Darwin',
  '-3:30': 'America/St_Johns',
}

/** "UTC+3", "GMT-5", "+03:00", "МСК+4" (Moscow is UTC+3): a fixed-offset zone. */
function zoneOfOffset(value: string): string | null {
  const match = value
    .toLowerCase()
    .replace(/\s+/g, '')
    .replace('−', '-')
    .match(/^(utc|gmt|мск|msk)?([+-])(\d{1,2})(?::?(\d{2}))?$/)
  if (!match) return null
  const base = match[1] === 'мск' || match[1] === 'msk' ? 3 : 0
  const sign = match[2] === '-' ? -1 : 1
  const minutes = Number(match[4] ?? 0)
  const hours = base + sign * Number(match[3])
  if (minutes !== 0) return base === 0 ? (ODD_OFFSETS[`${match[2]}${Number(match[3])}:${match[4]}`] ?? null) : null
  if (hours < -12 || hours > 14) return null
  // Etc/GMT zones count the other way round: UTC+3 is Etc/GMT-3.
  return hours === 0 ? 'UTC' : `Etc/GMT${hours > 0 ? '-' : '+'}${Math.abs(hours)}`
}

/**
 * A time zone as a customer types it: a city ("Москва", "Novosibirsk", "г. Екатеринбург"), a UTC
 * offset ("UTC+3", "+05:00", "МСК+4"), or an IANA name in any case ("europe/moscow"). Null when it
 * is none of them. Returns the zone's canonical IANA spelling.
 */
export function resolveTimeZone(input: string): string | null {
  const value = input.trim()
  if (value === '' || value.length > 64) return null
  const byCity = BY_CITY.get(cityKey(value))
  if (byCity) return canonical(byCity)
  if (/^(utc|gmt)$/i.test(value)) return 'UTC'
  const byOffset = zoneOfOffset(value)
  if (byOffset) return canonical(byOffset)
  const iana = value.replace(/\s+/g, '_')
  return isValidTimeZone(iana) ? canonical(iana) : null
}

let zones: Map<string, (typeof CITIES)[number]> | undefined
/** Entries by zone, under both the table's spelling and ICU's (Europe/Kyiv may read Europe/Kiev). */
function byZone() {
  zones ??= new Map(CITIES.flatMap((entry) => [[entry[0], entry], [canonical(entry[0]), entry]] as const))
  return zones
}

function canonical(zone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone
}

/** The zone's UTC offset at `at`, as "UTC+3" or "UTC+5:30". */
export function utcOffsetLabel(zone: string, at = Date.now()): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    .formatToParts(new Date(at))
    .find((part) => part.type === 'timeZoneName')?.value
  const match = name?.match(/GMT([+-])(\d{2}):(\d{2})/)
  if (!match || (match[2] === '00' && match[3] === '00')) return 'UTC'
  return `UTC${match[1]}${Number(match[2])}${match[3] === '00' ? '' : `:${match[3]}`}`
}

/** How a zone is shown to a customer: "Москва (UTC+3)", "Novosibirsk (UTC+7)", or "UTC+3". */
export function zoneLabel(zone: string, language: string, at = Date.now()): string {
  const entry = byZone().get(zone)
  const city = entry ? (language === 'ru' ? entry[1] : entry[2])[0] : null
  const offset = utcOffsetLabel(zone, at)
  return city ? `${city} (${offset})` : zone.startsWith('Etc/') || zone === 'UTC' ? offset : `${zone} (${offset})`
}
