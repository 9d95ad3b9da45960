// Model ids stored with the handwriting and keystroke models in the student's Durable Object. Bump one when the
// engine's model format or its features change: stored models of another id then ask for re-enrolment instead of
// being compared with a different yardstick.
export const HANDWRITING_MODEL_ID = "trustid-handwriting-dtw-v3";
export const KEYSTROKE_MODEL_ID = "trustid-keystroke-knn-v3";
