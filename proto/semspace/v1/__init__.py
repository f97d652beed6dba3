"""Generated gRPC stubs of the semspace v1 API (`make proto`); never edited by hand."""
