// How a student's template object is named: one object per student of an institution.
export type TemplateOwner = { institutionId: number; studentId: number };

export const templateObjectName = (o: TemplateOwner) => `${o.institutionId}:${o.studentId}`;
