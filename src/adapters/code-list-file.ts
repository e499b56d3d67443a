import { readFile } from 'node:fs/promises';
import { type CodeLists, codeListsFromFile, UNCHECKED_CODE_LISTS } from '../domain/code-lists';

export async function loadCodeLists(file: string | undefined): Promise<CodeLists> {
  if (file === undefined) return UNCHECKED_CODE_LISTS;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`CODE_LISTS_FILE ${file} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch {
    throw new Error(`CODE_LISTS_FILE ${file} is not valid JSON`);
  }
  return codeListsFromFile(content);
}
