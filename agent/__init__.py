"""The Strongroom backup agent: encrypts, backs up and restores folders."""
