/** Nest injection token of the app's ApiMetrics (made before Nest, so the access log can count every request). */
export const API_METRICS = Symbol('API_METRICS');
