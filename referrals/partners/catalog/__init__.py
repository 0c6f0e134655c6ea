"""Publications, partner programs, partner profiles, partner campaigns and the partner network."""
