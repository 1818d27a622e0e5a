// Grade a site with the MDN HTTP Observatory's own retriever, tests and grader, on non-default ports.
// The package's CLI (mdn-http-observatory-scan) always scans ports 80 and 443; this runs the same steps as its
// scan() with the retriever's httpPort/httpsPort options, so a server on 127.0.0.1:<port> can be graded.
// Usage: node tools/observatory_scan.mjs HOSTNAME HTTP_PORT HTTPS_PORT   (prints the scan result as JSON)
import { ALL_TESTS, NUM_TESTS } from "@mdn/mdn-http-observatory/src/constants.js";
import { MINIMUM_SCORE_FOR_EXTRA_CREDIT } from "@mdn/mdn-http-observatory/src/grader/charts.js";
import { getGradeForScore, getScoreModifier } from "@mdn/mdn-http-observatory/src/grader/grader.js";
import { retrieve } from "@mdn/mdn-http-observatory/src/retriever/retriever.js";

const [hostname, httpPort, httpsPort] = process.argv.slice(2);
const requests = await retrieve(hostname, { httpPort, httpsPort });
if (!requests.responses.auto) {
  console.log(JSON.stringify({ error: "The site seems to be down." }));
  process.exit(1);
}

const results = ALL_TESTS.map((test) => test(requests));
let passed = 0;
let withExtraCredit = 100;
let uncurved = 100;
for (const result of results) {
  const modifier = getScoreModifier(result.result);
  passed += result.pass ? 1 : 0;
  withExtraCredit += modifier;
  if (modifier < 0) uncurved += modifier;
}
const final = getGradeForScore(uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? withExtraCredit : uncurved);
const tests = Object.fromEntries(
  results.map((result) => [result.constructor.name, { result: result.result, pass: result.pass, modifier: getScoreModifier(result.result) }]),
);
console.log(
  JSON.stringify(
    {
      scan: {
        grade: final.grade,
        score: final.score,
        statusCode: requests.responses.auto.status,
        testsPassed: passed,
        testsQuantity: NUM_TESTS,
      },
      tests,
    },
    null,
    2,
  ),
);
