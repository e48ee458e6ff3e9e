"""Microsoft Advertising's TimeZone values (accounts, reports) and the IANA zone each stands for."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

#: Microsoft's TimeZone / ReportTimeZone values and the IANA zone each stands for.
TIME_ZONES = {
    "AbuDhabiMuscat": "Asia/Dubai",
    "Adelaide": "Australia/Adelaide",
    "Alaska": "America/Anchorage",
    "AlmatyNovosibirsk": "Asia/Almaty",
    "AmsterdamBerlinBernRomeStockholmVienna": "Europe/Berlin",
    "Arizona": "America/Phoenix",
    "AstanaDhaka": "Asia/Dhaka",
    "AthensBuckarestIstanbul": "Europe/Athens",
    "AtlanticTimeCanada": "America/Halifax",
    "AucklandWellington": "Pacific/Auckland",
    "Azores": "Atlantic/Azores",
    "Baghdad": "Asia/Baghdad",
    "BakuTbilisiYerevan": "Asia/Baku",
    "BangkokHanoiJakarta": "Asia/Bangkok",
    "BeijingChongqingHongKongUrumqi": "Asia/Shanghai",
    "BelgradeBratislavaBudapestLjubljanaPrague": "Europe/Budapest",
    "BogotaLimaQuito": "America/Bogota",
    "Brasilia": "America/Sao_Paulo",
    "Brisbane": "Australia/Brisbane",
    "BrusselsCopenhagenMadridParis": "Europe/Paris",
    "Bucharest": "Europe/Bucharest",
    "BuenosAiresGeorgetown": "America/Argentina/Buenos_Aires",
    "Cairo": "Africa/Cairo",
    "CanberraMelbourneSydney": "Australia/Sydney",
    "CapeVerdeIsland": "Atlantic/Cape_Verde",
    "CaracasLaPaz": "America/Caracas",
    "CasablancaMonrovia": "Africa/Casablanca",
    "CentralAmerica": "America/Guatemala",
    "CentralTimeUSCanada": "America/Chicago",
    "ChennaiKolkataMumbaiNewDelhi": "Asia/Kolkata",
    "ChihuahuaLaPazMazatlan": "America/Chihuahua",
    "Darwin": "Australia/Darwin",
    "EasternTimeUSCanada": "America/New_York",
    "Ekaterinburg": "Asia/Yekaterinburg",
    "FijiKamchatkaMarshallIsland": "Pacific/Fiji",
    "Greenland": "America/Nuuk",
    "GreenwichMeanTimeDublinEdinburghLisbonLondon": "Europe/London",
    "GuadalajaraMexicoCityMonterrey": "America/Mexico_City",
    "GuamPortMoresby": "Pacific/Guam",
    "HararePretoria": "Africa/Johannesburg",
    "Hawaii": "Pacific/Honolulu",
    "HelsinkiKyivRigaSofiaTallinnVilnius": "Europe/Helsinki",
    "Hobart": "Australia/Hobart",
    "IndianaEast": "America/Indiana/Indianapolis",
    "InternationalDateLineWest": "Etc/GMT+12",
    "IrkutskUlaanBataar": "Asia/Irkutsk",
    "IslandamabadKarachiTashkent": "Asia/Karachi",
    "Jerusalem": "Asia/Jerusalem",
    "Kabul": "Asia/Kabul",
    "Kathmandu": "Asia/Kathmandu",
    "Krasnoyarsk": "Asia/Krasnoyarsk",
    "KualaLumpurSingapore": "Asia/Singapore",
    "KuwaitRiyadh": "Asia/Riyadh",
    "MagadanSolomonIsland": "Asia/Magadan",
    "MidAtlantic": "Atlantic/South_Georgia",
    "MidwayIslandAndSamoa": "Pacific/Pago_Pago",
    "MoscowStPetersburgVolgograd": "Europe/Moscow",
    "MountainTimeUSCanada": "America/Denver",
    "Nairobi": "Africa/Nairobi",
    "Newfoundland": "America/St_Johns",
    "Nukualofa": "Pacific/Tongatapu",
    "OsakaSapporoTokyo": "Asia/Tokyo",
    "PacificTimeUSCanadaTijuana": "America/Los_Angeles",
    "Perth": "Australia/Perth",
    "Rangoon": "Asia/Yangon",
    "Santiago": "America/Santiago",
    "SarajevoSkopjeWarsawZagreb": "Europe/Warsaw",
    "Saskatchewan": "America/Regina",
    "Seoul": "Asia/Seoul",
    "SriJayawardenepura": "Asia/Colombo",
    "Taipei": "Asia/Taipei",
    "Tehran": "Asia/Tehran",
    "Vladivostok": "Asia/Vladivostok",
    "WestCentralAfrica": "Africa/Lagos",
    "Yakutsk": "Asia/Yakutsk",
}


def iana_time_zone(value: str | None) -> str:
    """The IANA zone for a Microsoft TimeZone value (IANA names pass through; unknown: UTC)."""
    if not value:
        return "UTC"
    if value in TIME_ZONES:
        return TIME_ZONES[value]
    if "/" in value:
        return value
    log.warning("microsoft_ads: unknown time zone %s, using UTC", value)
    return "UTC"
