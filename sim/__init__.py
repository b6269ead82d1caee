"""mlatsim: simulation of cross-border evidence requests in cybercrime investigations."""
