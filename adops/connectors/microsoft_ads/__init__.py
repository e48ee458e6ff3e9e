"""Microsoft Advertising (Bing Ads): the v13 REST services, split by concern.

- `auth`: OAuth2 against the Microsoft identity platform, and the 90-day refresh-token clock;
- `client`: headers, the three service hosts, error codes, one method per operation;
- `reporting`: the daily performance report request, and reading its ZIP of CSV;
- `timezones`: Microsoft's TimeZone names as IANA zones;
- `connector`: the connector protocol (reads in the canonical columns, budget/status/bid writes).

Paging, report polling with its deadline, the download and the retries are the shared layer's
(`adops.connectors.http`). `connector(account)` is what `adops.connectors.connector_for` calls.
"""

from adops.connectors.microsoft_ads.auth import refresh_token_status
from adops.connectors.microsoft_ads.client import MicrosoftAdsClient
from adops.connectors.microsoft_ads.connector import MicrosoftAdsConnector, connector
from adops.connectors.microsoft_ads.reporting import cell, number, read_report, report_date
from adops.connectors.microsoft_ads.timezones import iana_time_zone

__all__ = [
    "MicrosoftAdsClient",
    "MicrosoftAdsConnector",
    "cell",
    "connector",
    "iana_time_zone",
    "number",
    "read_report",
    "refresh_token_status",
    "report_date",
]
