"""FAQ content, Swedish-aware matcher, routing to authorities."""
