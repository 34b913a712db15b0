/**
 * Ends a run with one plain line, `tests: N passed, N failed, N skipped`, and keeps it in
 * test-artifacts/closing-line.txt, which .ci/run prints last. CI tells a run that tested nothing
 * from one that tested something by a runner's closing line; Jest's summary ("Tests: 735 passed,
 * 736 total") is not one it reads, while a tool a suite runs may print one of its own
 * (schemathesis closes like pytest), so the run says its own count at the end.
 */
const fs = require('node:fs');
const path = require('node:path');

class ClosingLineReporter {
  constructor(globalConfig) {
    this.file = path.join(globalConfig.rootDir, 'test-artifacts', 'closing-line.txt');
  }

  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `tests: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(this.file, line);
    process.stderr.write(line);
  }
}

module.exports = ClosingLineReporter;
