"""Self-pay payments on Stripe (issue 23): the payment policy, the card on file, the ledger and
its charges, refunds and webhooks. Import services from here.

models.py      policy versions, acceptances, cards, ledger rows, webhook events
gateway.py     the only module that talks to Stripe (official library)
policy.py      the policy in effect, its words, the patient's acceptance
cards.py       SetupIntent start/finish
charges.py     recording and charging ledger rows (exactly once)
consequences.py what scheduling's events record in the ledger
refunds.py     an admin's refunds
webhooks.py    Stripe's events, once each, in any order
tasks.py       Celery tasks
"""
