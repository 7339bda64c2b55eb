// End-to-end tests start processes and wait for sessions; every wait inside them is bounded.
jest.setTimeout(120_000);
