// Runs cdk-nag's Serverless pack on a synthesized template (nag-serverless.sh).
// The template is loaded with CfnInclude into a stack of its own, so the
// suppressions the Go stack wrote into each resource's Metadata apply as
// they would on the stack itself. Prints what is accepted, by rule; exits 1
// on any error or warning not accepted.
const { App, Stack, Aspects, LegacyStackSynthesizer } = require('aws-cdk-lib');
const { CfnInclude } = require('aws-cdk-lib/cloudformation-include');
const { ServerlessChecks } = require('cdk-nag');

const app = new App();
// The legacy synthesizer adds no BootstrapVersion of its own to clash with
// the template's.
const stack = new Stack(app, 'Template', { synthesizer: new LegacyStackSynthesizer() });
new CfnInclude(stack, 'T', { templateFile: process.argv[2] });
Aspects.of(app).add(new ServerlessChecks({ logIgnores: true, reports: false }));
const messages = app.synth().getStackArtifact(stack.artifactId).messages;

const accepted = {};
let failed = 0;
for (const m of messages) {
  const text = String(m.entry.data).split('\n')[0];
  const suppressed = text.match(/^CdkNagSuppression.*?: (\S+) was triggered but suppressed/);
  if (suppressed) {
    accepted[suppressed[1]] = (accepted[suppressed[1]] || 0) + 1;
  } else if (m.level === 'error' || m.level === 'warning') {
    console.error(`${m.level} ${m.id}: ${text}`);
    failed++;
  }
}
console.log('cdk-nag Serverless: accepted ' +
  Object.keys(accepted).sort().map((r) => `${r} ×${accepted[r]}`).join(', '));
if (failed) {
  console.error(`cdk-nag Serverless: ${failed} findings not accepted (fix them, or accept them in cdk/suppress.go with a reason)`);
  process.exit(1);
}
