"""The programme's sections of an import's plan: questions, and countries with the questions
each reports publicly (methods of `import_plan`'s planner, over its state)."""

from __future__ import annotations


class ProgrammeSections:
    """Plans the `questions` and `countries` sections."""

    def questions(self) -> None:
        counts = self.counts["questions"]
        for qid, (cluster, titles, descriptions) in self.doc.questions.items():
            row = {"id": qid, "cluster": cluster, "titles": titles, "descriptions": descriptions}
            old = self.stored.questions.get(qid)
            if old is None:
                self.plan.question_inserts.append(row)
                counts.created += 1
            elif old != (cluster, titles, descriptions):
                self.plan.question_updates.append(row)
                counts.updated += 1
            else:
                counts.unchanged += 1

    def countries(self) -> None:
        plan, counts = self.plan, self.counts["countries"]
        for code, (name, languages, since) in self.doc.countries.items():
            row = {"code": code, "name": name, "languages": languages, "public_reporting_since": since}
            wanted = self.doc.public_questions[code]
            for i, qid in enumerate(wanted):
                self.refers("countries", code, "question", qid, f"publicQuestions[{i}]")
            old = self.stored.countries.get(code)
            list_changed = wanted != self.stored.public_questions.get(code, [])
            if list_changed:
                plan.public_question_lists[code] = wanted
                plan.affected_countries.add(code)
            if old is None:
                plan.country_inserts.append(row)
                counts.created += 1
            elif old != (name, languages, since) or list_changed:
                if old != (name, languages, since):
                    plan.country_updates.append(row)
                counts.updated += 1
            else:
                counts.unchanged += 1
