"""Dukat bord meetings: officials, availability, slots, bookings, reminders."""
