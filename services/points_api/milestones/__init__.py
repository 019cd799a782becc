"""Milestones: promotion eligibility per position, and certifications."""
