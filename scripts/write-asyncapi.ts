// Writes docs/asyncapi.json from the codecs (`npm run docs:asyncapi`); a test fails when it is stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncApiText } from '../src/adapters/http/documentation-router';

writeFileSync(join(__dirname, '..', 'docs', 'asyncapi.json'), asyncApiText());
