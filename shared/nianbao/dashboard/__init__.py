"""The dashboard: what a supervising office reads from the findings table.

* ``views``: pure functions from stored records to what the page shows (the official layout of
  Tables 3 and 4 with the failing cells marked, overview counts, list rows);
* ``export``: CSV and XLSX of a list, safe to open in a spreadsheet;
* ``api``: the HTTP API (a Powertools ``APIGatewayHttpResolver``) and the page it serves, scoped to
  the signed-in office's division; the DashboardApi function is this module's handler;
* ``local``: ``nianbao serve``, the same function on 127.0.0.1 behind a small adapter from HTTP
  requests to API Gateway HTTP API events, with a sign-in for local use only.
"""
