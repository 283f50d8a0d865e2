"""The top floor: what composes the apps into one portal (the root URLconf and the table of who
reacts to which domain event). Nothing below imports it."""
