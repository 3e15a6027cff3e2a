"""The families of the catalogue, one module per part of the chapter."""
