export * from './current-details';
export * from './messages';
export * from './procedure-runtime';
export * from './search-attributes';
