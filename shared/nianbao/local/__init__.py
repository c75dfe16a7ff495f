"""Running the whole pipeline without AWS: template.yaml on moto, and the demo."""
