"""gunicorn reads this file from the folder it starts in (the Dockerfile's and compose's
`gunicorn clinic.wsgi`). The access log names the path without its query string and without
the referring page: staff searches put patients' names there (?q=...) and links carry tokens."""

accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss "%(a)s"'
