// Tests never read the developer's .env: config comes from literals in each test.
process.env.KPI_BRIDGE_SKIP_DOTENV = '1';
