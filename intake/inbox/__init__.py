"""Referrals that arrive as documents: a fax service's webhook or a scan uploaded by staff.
documents.py checks and bounds a file, reading.py draws its pages and reads them with
Tesseract, proposal.py proposes the referral's fields with a confidence for each,
services.py receives, reads and closes documents, views.py is the coordinator's inbox."""
