/** Every test must assert something: a test that runs no expect() cannot fail, so it fails here. */
beforeEach(() => {
  expect.hasAssertions();
});
