import Ajv, { type ValidateFunction } from 'ajv';
import { ASYNCAPI_DOCUMENT } from '../../src/adapters/http/asyncapi';

type Schema = Record<string, unknown>;

/** A validator for one of the document's component schemas, its $refs resolved within the document. */
export function asyncApiValidator(component: string, document: Schema = ASYNCAPI_DOCUMENT): ValidateFunction {
  const ajv = new Ajv({ strict: false, unicodeRegExp: true });
  ajv.addFormat('uuid', true);
  ajv.addSchema({ $id: 'asyncapi.json', components: document.components }, 'asyncapi.json');
  const validate = ajv.getSchema(`asyncapi.json#/components/schemas/${component}`);
  if (validate === undefined) throw new Error(`no schema ${component}`);
  return validate;
}
