"""Models of indexnet_plugin: encoder, decoder and mattor."""
